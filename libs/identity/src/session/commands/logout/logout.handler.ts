import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { sha256 } from '@latchkey/security';
import { IdentityReadModels } from '../../../shared/read-models';
import { Session } from '../../session.aggregate';
import { LogoutCommand } from './logout.command';

/** Ends the session the refresh token belongs to. Unknown or already-ended sessions answer the same (idempotent). */
@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
  ) {}

  async execute(command: LogoutCommand): Promise<void> {
    const hash = sha256(command.refreshToken);
    const sessionId = await this.read.sessionIdOfRefreshToken(hash);
    if (!sessionId) return;
    await this.repository.exclusive(`session-${sessionId}`, async (uow) => {
      // Any token the session issued ends it: a spent one coming back would revoke it anyway.
      const row = await this.read.sessionById(sessionId, uow.sql);
      if (row) uow.add(Session.fromRow(row)).revoke('logout');
    });
  }
}
