import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, IdGenerator, UniqueClaimTakenError } from '@latchkey/event-store';
import { PasswordHasher, PasswordPolicy } from '@latchkey/security';
import { PHONE_FORMAT_MESSAGE, toE164 } from '../../../shared/contact';
import { EmailTakenError, InvalidPhoneError, UsernameTakenError } from '../../../shared/errors';
import { closestLocale } from '../../../shared/locale';
import { USERNAME_SCOPE, User } from '../../../user/user.aggregate';
import { Account } from '../../account.aggregate';
import { SignUpCommand } from './sign-up.command';

/** A new account and its first account_admin, created together or not at all. */
@CommandHandler(SignUpCommand)
export class SignUpHandler implements ICommandHandler<SignUpCommand, { accountId: string; userId: string }> {
  constructor(
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
  ) {}

  async execute(command: SignUpCommand): Promise<{ accountId: string; userId: string }> {
    const phone = command.phone === undefined ? null : toE164(command.phone);
    if (phone === undefined) throw new InvalidPhoneError({ errors: [{ field: 'phone', message: PHONE_FORMAT_MESSAGE }] });
    this.policy.check(command.password, { email: command.email, username: command.username });
    const hash = await this.hasher.hash(command.password);

    const account = new Account(this.ids.next());
    account.create(command.accountName);
    const user = new User(this.ids.next());
    user.register(
      {
        accountId: account.id,
        email: command.email,
        username: command.username,
        phone,
        locale: closestLocale(command.locale),
        roles: ['account_admin'],
        webAccess: true,
        twoFactorChannel: phone ? 'sms' : 'email',
        source: 'signup',
      },
      hash,
    );
    try {
      await this.repository.save([account, user]);
    } catch (error) {
      if (error instanceof UniqueClaimTakenError) throw error.scope === USERNAME_SCOPE ? new UsernameTakenError() : new EmailTakenError();
      throw error;
    }
    return { accountId: account.id, userId: user.id };
  }
}
