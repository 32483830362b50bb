import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, BackgroundWork } from '@latchkey/event-store';
import { RateLimiter, SecretBox } from '@latchkey/security';
import { normalizeLogin } from '../../../shared/contact';
import { closestLocale, type Locale } from '../../../shared/locale';
import { NotFoundError, ResetThrottledError } from '../../../shared/errors';
import { IdentityReadModels, type UserRow } from '../../../shared/read-models';
import { ResetIssuer, resetsOfUser } from '../../reset-issuer';
import { AdminResetCommand, RequestResetCommand } from './request-reset.command';

/** Forgot-password requests one IP may make per hour. */
export const RESET_REQUESTS_PER_IP_PER_HOUR = 20;
const ACCOUNTS_PER_EMAIL = 10;

/**
 * The caller learns nothing about whether the login exists: past the IP check, the answer is
 * given at once and the rest (lookup, link, email) happens after it, so neither the status nor
 * the time of the answer depends on the account.
 */
@CommandHandler(RequestResetCommand)
export class RequestResetHandler implements ICommandHandler<RequestResetCommand, void> {
  constructor(
    private readonly background: BackgroundWork,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly issuer: ResetIssuer,
    private readonly limiter: RateLimiter,
    private readonly box: SecretBox,
  ) {}

  async execute(command: RequestResetCommand): Promise<void> {
    const byIp = await this.limiter.hit(`reset-requests:ip:${this.box.hmac('rate-limit', command.ip ?? 'unknown')}`, RESET_REQUESTS_PER_IP_PER_HOUR, 3600);
    if (!byIp.allowed) throw new ResetThrottledError({ retryAfterSeconds: byIp.retryAfterSeconds });
    const locale = command.locale ? closestLocale(command.locale) : undefined;
    this.background.start('reset request', () => this.issueFor(normalizeLogin(command.login), locale));
  }

  private async issueFor(login: string, locale: Locale | undefined): Promise<void> {
    const users: UserRow[] = login.includes('@')
      ? await this.read.usersByEmail(login, ACCOUNTS_PER_EMAIL)
      : [await this.read.userByUsername(login)].filter((u): u is UserRow => u !== undefined);
    // An email in several accounts: each account's user gets the link to their own account.
    for (const user of users.filter((u) => u.enabled)) {
      await this.repository.exclusive(resetsOfUser(user.id), async (uow) => void uow.add(await this.issuer.issue(user, 'self', null, locale)));
    }
  }
}

@CommandHandler(AdminResetCommand)
export class AdminResetHandler implements ICommandHandler<AdminResetCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly issuer: ResetIssuer,
  ) {}

  async execute(command: AdminResetCommand): Promise<void> {
    const user = await this.read.userById(command.userId);
    // Another account's user is "not found": an admin learns nothing outside their account.
    if (!user || user.accountId !== command.accountId) throw new NotFoundError();
    await this.repository.exclusive(resetsOfUser(user.id), async (uow) => void uow.add(await this.issuer.issue(user, 'admin', command.adminId)));
  }
}
