import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock, IdGenerator, UniqueClaimTakenError } from '@latchkey/event-store';
import { ResetIssuer } from '../../../password-reset/reset-issuer';
import { PHONE_FORMAT_MESSAGE, toE164 } from '../../../shared/contact';
import { EmailTakenError, InvalidPhoneError, UsernameTakenError } from '../../../shared/errors';
import { closestLocale } from '../../../shared/locale';
import { USERNAME_SCOPE, User } from '../../user.aggregate';
import { CreateUserCommand } from './create-user.command';

/**
 * A user created by an admin has no password: the same transaction that registers them issues
 * an invitation (a set-password link, 72 h, `initiatedBy: invitation`) that the worker emails.
 */
@CommandHandler(CreateUserCommand)
export class CreateUserHandler implements ICommandHandler<CreateUserCommand, { userId: string }> {
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly invitations: ResetIssuer,
  ) {}

  async execute(command: CreateUserCommand): Promise<{ userId: string }> {
    const input = command.user;
    const phone = input.phone === undefined ? null : toE164(input.phone);
    if (phone === undefined) {
      throw new InvalidPhoneError({ errors: [{ field: 'phone', message: PHONE_FORMAT_MESSAGE }] });
    }
    const user = new User(this.ids.next());
    const registration = {
      accountId: command.accountId,
      email: input.email,
      username: input.username,
      name: input.name?.trim() || null,
      phone,
      locale: closestLocale(input.locale),
      roles: input.roles && input.roles.length > 0 ? [...new Set(input.roles)] : (['member'] as const).slice(),
      webAccess: input.webAccess ?? true,
      twoFactorChannel: input.twoFactorChannel ?? (phone ? 'sms' : 'email'),
      source: 'admin' as const,
    };
    user.register(registration, null);
    const invitation = await this.invitations.issue(
      {
        id: user.id,
        accountId: command.accountId,
        email: registration.email.trim(),
        username: registration.username,
        name: registration.name,
        phone,
        locale: registration.locale,
        roles: registration.roles,
        webAccess: registration.webAccess,
        twoFactorChannel: registration.twoFactorChannel,
        enabled: true,
        passwordHash: null,
        createdAt: this.clock.now(),
        version: 0,
        sessionsEndedVersion: 0,
      },
      'invitation',
      command.adminId,
    );
    try {
      await this.repository.save([user, invitation]);
    } catch (error) {
      if (error instanceof UniqueClaimTakenError) throw error.scope === USERNAME_SCOPE ? new UsernameTakenError() : new EmailTakenError();
      throw error;
    }
    return { userId: user.id };
  }
}
