import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { PHONE_FORMAT_MESSAGE, toE164 } from '../../../shared/contact';
import { InvalidPhoneError, NotFoundError } from '../../../shared/errors';
import { closestLocale } from '../../../shared/locale';
import { RecentLogin } from '../../../shared/recent-login';
import { User } from '../../user.aggregate';
import { ChangePreferencesCommand } from './change-preferences.command';

/** The user's own settings: language, preferred code channel, phone (E.164, or null to remove it). */
@CommandHandler(ChangePreferencesCommand)
export class ChangePreferencesHandler implements ICommandHandler<ChangePreferencesCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly recentLogin: RecentLogin,
  ) {}

  async execute(command: ChangePreferencesCommand): Promise<void> {
    const { locale, twoFactorChannel, phone } = command.change;
    let normalizedPhone: string | null | undefined;
    if (phone === null) normalizedPhone = null;
    else if (phone !== undefined) {
      normalizedPhone = toE164(phone);
      if (normalizedPhone === undefined) throw new InvalidPhoneError({ errors: [{ field: 'phone', message: PHONE_FORMAT_MESSAGE }] });
    }
    await this.repository.update(User, command.userId, async (user) => {
      if (!user.exists) throw new NotFoundError();
      if (user.movesCodes({ phone: normalizedPhone, twoFactorChannel })) await this.recentLogin.require(command.sessionId);
      user.changePreferences({
        ...(locale !== undefined ? { locale: closestLocale(locale) } : {}),
        ...(twoFactorChannel !== undefined ? { twoFactorChannel } : {}),
        ...(normalizedPhone !== undefined ? { phone: normalizedPhone } : {}),
      });
    });
  }
}
