import type { IEvent } from '@nestjs/cqrs';
import type { z } from 'zod';

/** Who caused an event. The audit trail is the events' metadata; nothing else is. */
export interface Actor {
  type: 'user' | 'admin' | 'system' | 'anonymous';
  id: string | null;
}

export interface EventMetadata {
  correlationId: string;
  /** The request id or the id of the event whose handling produced this one. */
  causationId: string | null;
  actor: Actor;
  ip: string | null;
  userAgent: string | null;
}

/** An event as the store holds it, payload already upcast to the current schema version. */
export interface StoredEvent<TData = unknown> {
  id: string;
  globalPosition: number;
  transactionId: string;
  streamId: string;
  streamType: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: TData;
  metadata: EventMetadata;
  occurredAt: Date;
}

/** Turns the payload of an older schema version into the next one; pure. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * A domain event: a past-tense fact with a stable type string and a payload schema.
 * Subclasses come from `defineEvent`, so the class name never reaches the database.
 */
export abstract class DomainEvent<TData = unknown> implements IEvent {
  /** Filled in once the event is stored (or when it is read back). */
  stored?: StoredEvent<TData>;
  constructor(readonly data: TData) {}

  get type(): string {
    return (this.constructor as EventClass).type;
  }
}

export interface EventClass<TData = any> {
  new (data: TData): DomainEvent<TData>;
  readonly type: string;
  readonly schemaVersion: number;
  readonly schema: z.ZodType<TData>;
  /** upcasters[n] turns version n+1 into n+2; length is schemaVersion - 1. */
  readonly upcasters: readonly Upcaster[];
  /** Payload fields that must never be shown (audit, history), even though they are hashed or encrypted. */
  readonly secretFields: readonly string[];
}

export interface EventDefinitionOptions {
  /** Older payload shapes, oldest first: entry i turns version i+1 into version i+2. */
  upcasters?: Upcaster[];
  secretFields?: string[];
}

/**
 * `export class UserRegistered extends defineEvent('user.registered', schema) {}`
 * gives a class whose stored type is the string, whatever the class is called.
 */
export function defineEvent<TSchema extends z.ZodType<Record<string, unknown>>>(
  type: string,
  schema: TSchema,
  options: EventDefinitionOptions = {},
) {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(type)) {
    throw new Error(`event type "${type}" must be dotted lower-case words, e.g. "login.otp_verified"`);
  }
  const upcasters = Object.freeze([...(options.upcasters ?? [])]);
  const secretFields = Object.freeze([...(options.secretFields ?? [])]);
  abstract class Defined extends DomainEvent<z.infer<TSchema>> {
    static readonly type = type;
    static readonly schema = schema;
    static readonly schemaVersion = upcasters.length + 1;
    static readonly upcasters = upcasters;
    static readonly secretFields = secretFields;
  }
  return Defined;
}
