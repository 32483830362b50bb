import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, IdGenerator, UniqueClaimTakenError } from '@latchkey/event-store';
import { IdentifierTakenError, InvalidCertificateError, NotFoundError } from '../../../shared/errors';
import { CERTIFICATE_FORMAT_MESSAGE, normalizeCertificate } from '../../certificates';
import { SsoConnection } from '../../sso-connection.aggregate';
import { CreateSsoConnectionCommand, RemoveSsoConnectionCommand, UpdateSsoConnectionCommand, type ConnectionInput } from './manage-connection.command';

/** Canonical PEMs and lower-case domains; an unparsable certificate is a validation error. */
function normalize<T extends Partial<ConnectionInput>>(input: T): T {
  const out = { ...input };
  if (input.idpCertificates) {
    out.idpCertificates = input.idpCertificates.map((pem, i) => {
      const normalized = normalizeCertificate(pem);
      if (!normalized) throw new InvalidCertificateError({ errors: [{ field: `idpCertificate${i === 0 ? '' : 's'}`, message: CERTIFICATE_FORMAT_MESSAGE }] });
      return normalized;
    });
  }
  if (input.emailDomains) out.emailDomains = [...new Set(input.emailDomains.map((d) => d.trim().toLowerCase().replace(/^@/, '')))];
  return out;
}

async function saving(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof UniqueClaimTakenError) throw new IdentifierTakenError();
    throw error;
  }
}

@CommandHandler(CreateSsoConnectionCommand)
export class CreateSsoConnectionHandler implements ICommandHandler<CreateSsoConnectionCommand, { connectionId: string }> {
  constructor(
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
  ) {}

  /**
   * Accounts in `sharedWithAccountIds` are offered the connection, never joined by it: only an
   * admin token of such an account can join (`JoinSsoConnectionCommand`). An admin's email is
   * no proof of being that account's admin (emails are not verified), so no listing counts as
   * the other account's agreement.
   */
  async execute(command: CreateSsoConnectionCommand): Promise<{ connectionId: string }> {
    const connection = new SsoConnection(this.ids.next());
    connection.configure(command.accountId, normalize(command.settings));
    await saving(() => this.repository.save(connection));
    return { connectionId: connection.id };
  }
}

@CommandHandler(UpdateSsoConnectionCommand)
export class UpdateSsoConnectionHandler implements ICommandHandler<UpdateSsoConnectionCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: UpdateSsoConnectionCommand): Promise<void> {
    const change = normalize(command.change);
    await saving(() =>
      this.repository.update(SsoConnection, command.connectionId, (connection) => {
        if (!connection.isOwnedBy(command.accountId)) throw new NotFoundError();
        connection.update(change);
      }),
    );
  }
}

@CommandHandler(RemoveSsoConnectionCommand)
export class RemoveSsoConnectionHandler implements ICommandHandler<RemoveSsoConnectionCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: RemoveSsoConnectionCommand): Promise<void> {
    await this.repository.update(SsoConnection, command.connectionId, (connection) => {
      if (!connection.isOwnedBy(command.accountId)) throw new NotFoundError();
      connection.remove();
    });
  }
}
