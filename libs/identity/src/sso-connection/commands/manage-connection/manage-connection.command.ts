import { Command } from '@nestjs/cqrs';
import type { ConnectionSettings } from '../../sso-connection.events';

/** Settings as an admin sends them: certificates as pasted, one or two. */
export type ConnectionInput = Omit<ConnectionSettings, 'idpCertificates'> & { idpCertificates: string[] };

export class CreateSsoConnectionCommand extends Command<{ connectionId: string }> {
  constructor(
    readonly accountId: string,
    readonly settings: ConnectionInput,
    /** The admin making the change: where they are an admin of a listed account too, that account agrees at once. */
    readonly adminId?: string,
  ) {
    super();
  }
}

export class UpdateSsoConnectionCommand extends Command<void> {
  constructor(
    readonly accountId: string,
    readonly connectionId: string,
    readonly change: Partial<ConnectionInput>,
    readonly adminId?: string,
  ) {
    super();
  }
}

export class RemoveSsoConnectionCommand extends Command<void> {
  constructor(
    readonly accountId: string,
    readonly connectionId: string,
  ) {
    super();
  }
}
