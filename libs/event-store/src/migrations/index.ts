import { EventStore1764115200000 } from './1764115200000-event-store';
import { Security1764201600000 } from './1764201600000-security';
import { Identity1764288000000 } from './1764288000000-identity';
import { PasswordReset1764374400000 } from './1764374400000-password-reset';
import { Audit1764460800000 } from './1764460800000-audit';
import { Sso1764547200000 } from './1764547200000-sso';
import { ExternalIdentities1764633600000 } from './1764633600000-external-identities';
import { OneRoundTripAppends1764720000000 } from './1764720000000-one-round-trip-appends';
import { AuditUserAccounts1764806400000 } from './1764806400000-audit-user-accounts';
import { CheckpointMoves1764892800000 } from './1764892800000-checkpoint-moves';
import { SessionValidity1764979200000 } from './1764979200000-session-validity';
import { SsoIdentifierAccounts1765065600000 } from './1765065600000-sso-identifier-accounts';
import { DeviceTokenClaims1765152000000 } from './1765152000000-device-token-claims';
import { SessionReauthentication1765238400000 } from './1765238400000-session-reauthentication';
import { ReadBound1765324800000 } from './1765324800000-read-bound';
import { EmailProven1765411200000 } from './1765411200000-email-proven';

/** Every migration, oldest first. A new one is added here in the same commit as its file. */
export const migrations = [EventStore1764115200000, Security1764201600000, Identity1764288000000, PasswordReset1764374400000, Audit1764460800000, Sso1764547200000, ExternalIdentities1764633600000, OneRoundTripAppends1764720000000, AuditUserAccounts1764806400000, CheckpointMoves1764892800000, SessionValidity1764979200000, SsoIdentifierAccounts1765065600000, DeviceTokenClaims1765152000000, SessionReauthentication1765238400000, ReadBound1765324800000, EmailProven1765411200000];
