/**
 * An expected failure with a stable `code` (snake_case). The HTTP layer maps codes to
 * problem types in one table; domain code never knows about HTTP statuses. `details` are
 * safe to show to the caller (never secrets, never another tenant's data).
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  readonly details: Record<string, unknown> = {};
}

/** Errors of the persistence layer. */
export abstract class EventStoreError extends DomainError {}

/** Someone else appended to the stream first; reload and decide again. */
export class ConcurrencyError extends EventStoreError {
  readonly code = 'concurrency';
  constructor(readonly streamId: string, readonly expectedVersion: number | 'any') {
    super(`stream ${streamId} is no longer at version ${expectedVersion}`);
    this.name = 'ConcurrencyError';
  }
}

/** A unique value (username, email in an account, ...) is owned by someone else. */
export class UniqueClaimTakenError extends EventStoreError {
  readonly code = 'unique_claim_taken';
  constructor(readonly scope: string) {
    // The value is not in the message: it can be personal data.
    super(`a value in scope "${scope}" is already taken`);
    this.name = 'UniqueClaimTakenError';
  }
}

export class UnknownEventTypeError extends EventStoreError {
  readonly code = 'unknown_event_type';
  constructor(readonly type: string) {
    super(`event type "${type}" is not registered`);
    this.name = 'UnknownEventTypeError';
  }
}

export class InvalidEventPayloadError extends EventStoreError {
  readonly code = 'invalid_event_payload';
  constructor(readonly type: string, readonly detail: string) {
    super(`payload of ${type} does not match its schema: ${detail}`);
    this.name = 'InvalidEventPayloadError';
  }
}
