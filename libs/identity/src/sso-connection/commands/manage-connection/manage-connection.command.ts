import { Command } from '@nestjs/cqrs';
import type { ConnectionSettings } from '../../sso-connection.events';

/** Settings as an admin sends them: certificates as pasted, one or two. */
export type ConnectionInput = Omit<ConnectionSettings, 'idpCertificates'> & { idpCertificates: string[] };

export class CreateSsoConnectionCommand extends Command<{ connectionId: string }> {
  constructor(
    readonly accountId: string,
    readonly settings: ConnectionInput,
  ) {
    super();
  }
}

export class UpdateSsoConnectionCommand extends Command<void> {
  constructor(
    readonly accountId: string,
    readonly connectionId: string,
    readonly change: Partial<ConnectionInput>,
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
