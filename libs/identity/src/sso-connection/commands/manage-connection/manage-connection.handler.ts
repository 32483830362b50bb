import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, IdGenerator, UniqueClaimTakenError } from '@latchkey/event-store';
import { normalizeLogin } from '../../../shared/contact';
import { IdentifierTakenError, InvalidCertificateError, NotFoundError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { normalizeCertificate } from '../../certificates';
import { SsoConnection } from '../../sso-connection.aggregate';
import { CreateSsoConnectionCommand, RemoveSsoConnectionCommand, UpdateSsoConnectionCommand, type ConnectionInput } from './manage-connection.command';

/** Canonical PEMs and lower-case domains; an unparsable certificate is a validation error. */
function normalize<T extends Partial<ConnectionInput>>(input: T): T {
  const out = { ...input };
  if (input.idpCertificates) {
    out.idpCertificates = input.idpCertificates.map((pem, i) => {
      const normalized = normalizeCertificate(pem);
      if (!normalized) throw new InvalidCertificateError({ errors: [{ field: `idpCertificate${i === 0 ? '' : 's'}`, message: 'must be an X.509 certificate in PEM' }] });
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

/**
 * Accounts of `accountIds` where the acting admin is an enabled account_admin too (the same
 * person, by email): their agreement to share is given by the very change that lists them.
 */
async function agreeingAccounts(read: IdentityReadModels, adminId: string | undefined, accountIds: readonly string[]): Promise<string[]> {
  if (!adminId || accountIds.length === 0) return [];
  const admin = await read.userById(adminId);
  if (!admin) return [];
  const same = await read.usersByEmailIn(normalizeLogin(admin.email), [...accountIds]);
  return same.filter((u) => u.enabled && u.roles.includes('account_admin')).map((u) => u.accountId);
}

@CommandHandler(CreateSsoConnectionCommand)
export class CreateSsoConnectionHandler implements ICommandHandler<CreateSsoConnectionCommand, { connectionId: string }> {
  constructor(
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
  ) {}

  async execute(command: CreateSsoConnectionCommand): Promise<{ connectionId: string }> {
    const connection = new SsoConnection(this.ids.next());
    connection.configure(command.accountId, normalize(command.settings));
    for (const accountId of await agreeingAccounts(this.read, command.adminId, connection.settings!.sharedWithAccountIds)) connection.join(accountId);
    await saving(() => this.repository.save(connection));
    return { connectionId: connection.id };
  }
}

@CommandHandler(UpdateSsoConnectionCommand)
export class UpdateSsoConnectionHandler implements ICommandHandler<UpdateSsoConnectionCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
  ) {}

  async execute(command: UpdateSsoConnectionCommand): Promise<void> {
    const change = normalize(command.change);
    const agreeing = await agreeingAccounts(this.read, command.adminId, change.sharedWithAccountIds ?? []);
    await saving(() =>
      this.repository.update(SsoConnection, command.connectionId, (connection) => {
        if (!connection.isOwnedBy(command.accountId)) throw new NotFoundError();
        const joinedBefore = new Set(connection.joined);
        connection.update(change);
        for (const accountId of agreeing.filter((a) => !joinedBefore.has(a) && connection.settings!.sharedWithAccountIds.includes(a))) connection.join(accountId);
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
