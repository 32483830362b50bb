import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock } from '@latchkey/event-store';
import { toE164 } from '../../../shared/contact';
import { InvalidPhoneError, NotFoundError, ReauthenticationRequiredError } from '../../../shared/errors';
import { closestLocale } from '../../../shared/locale';
import { IdentityReadModels } from '../../../shared/read-models';
import { User } from '../../user.aggregate';
import { ChangePreferencesCommand } from './change-preferences.command';

/**
 * How long after a login its session may change where the user's codes go (phone, channel).
 * Past it, the user logs in again first: whoever holds a session's tokens (a stolen refresh
 * token, an unlocked laptop) could otherwise move the second factor to a phone of their own.
 */
export const RECENT_LOGIN_SECONDS = 15 * 60;

/** The user's own settings: language, preferred code channel, phone (E.164, or null to remove it). */
@CommandHandler(ChangePreferencesCommand)
export class ChangePreferencesHandler implements ICommandHandler<ChangePreferencesCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly clock: Clock,
  ) {}

  async execute(command: ChangePreferencesCommand): Promise<void> {
    const { locale, twoFactorChannel, phone } = command.change;
    let normalizedPhone: string | null | undefined;
    if (phone === null) normalizedPhone = null;
    else if (phone !== undefined) {
      normalizedPhone = toE164(phone);
      if (normalizedPhone === undefined) throw new InvalidPhoneError({ errors: [{ field: 'phone', message: 'must be a phone number in E.164 format, e.g. +385911234567' }] });
    }
    await this.repository.update(User, command.userId, async (user) => {
      if (!user.exists) throw new NotFoundError();
      const { phone: currentPhone, twoFactorChannel: currentChannel } = user.snapshot;
      const movesCodes = (normalizedPhone !== undefined && normalizedPhone !== currentPhone) || (twoFactorChannel !== undefined && twoFactorChannel !== currentChannel);
      if (movesCodes) {
        const startedAt = await this.read.sessionStartedAt(command.sessionId);
        if (!startedAt || this.clock.now().getTime() - startedAt.getTime() > RECENT_LOGIN_SECONDS * 1000) throw new ReauthenticationRequiredError();
      }
      user.changePreferences({
        ...(locale !== undefined ? { locale: closestLocale(locale) } : {}),
        ...(twoFactorChannel !== undefined ? { twoFactorChannel } : {}),
        ...(normalizedPhone !== undefined ? { phone: normalizedPhone } : {}),
      });
    });
  }
}
