import { Injectable } from '@nestjs/common';
import { DomainEvent, type EventClass, type StoredEvent } from './event';
import { InvalidEventPayloadError, UnknownEventTypeError } from './errors';

/** Maps stable type strings to event classes; checks payloads on the way in, upcasts on the way out. */
@Injectable()
export class EventTypeRegistry {
  private readonly byType = new Map<string, EventClass>();

  register(classes: readonly EventClass[]): void {
    for (const cls of classes) {
      const known = this.byType.get(cls.type);
      if (known && known !== cls) throw new Error(`event type "${cls.type}" is registered twice`);
      this.byType.set(cls.type, cls);
    }
  }

  get(type: string): EventClass {
    const cls = this.byType.get(type);
    if (!cls) throw new UnknownEventTypeError(type);
    return cls;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }

  /** Validates an event about to be appended; returns the payload as the schema outputs it. */
  validate(event: DomainEvent): { type: string; schemaVersion: number; data: unknown } {
    const cls = this.get(event.type);
    const result = cls.schema.safeParse(event.data);
    if (!result.success) {
      const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join(', ');
      throw new InvalidEventPayloadError(cls.type, detail);
    }
    return { type: cls.type, schemaVersion: cls.schemaVersion, data: result.data };
  }

  /** Brings a stored payload to the current schema version (unknown types pass unchanged). */
  upcast(type: string, schemaVersion: number, data: Record<string, unknown>): { schemaVersion: number; data: Record<string, unknown> } {
    const cls = this.byType.get(type);
    if (!cls || schemaVersion >= cls.schemaVersion) return { schemaVersion, data };
    let current = data;
    for (let v = schemaVersion; v < cls.schemaVersion; v++) current = cls.upcasters[v - 1](current);
    return { schemaVersion: cls.schemaVersion, data: current };
  }

  /** The domain object for a stored event, for aggregates and the EventBus. */
  toDomain(stored: StoredEvent): DomainEvent {
    const cls = this.get(stored.type);
    const event = new cls(stored.data);
    event.stored = stored;
    return event;
  }

  /** A copy of the payload with secret fields (hashes, ciphertexts) removed, for audit views. */
  redact(type: string, data: unknown): unknown {
    const cls = this.byType.get(type);
    if (!cls || cls.secretFields.length === 0 || data === null || typeof data !== 'object') return data;
    const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
    for (const field of cls.secretFields) delete copy[field];
    return copy;
  }
}
