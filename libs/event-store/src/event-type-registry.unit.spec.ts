import { z } from 'zod';
import { defineEvent } from './event';
import { InvalidEventPayloadError, UnknownEventTypeError } from './errors';
import { EventTypeRegistry } from './event-type-registry';

class PasswordSet extends defineEvent('sample.password_set', z.object({ userId: z.string(), hash: z.string() }), {
  secretFields: ['hash'],
}) {}

/** v1 {name}; v2 split into {first, last}; v3 added locale. */
class Renamed extends defineEvent('sample.renamed', z.object({ first: z.string(), last: z.string(), locale: z.string() }), {
  upcasters: [
    (v1) => {
      const [first, ...rest] = String(v1.name).split(' ');
      return { first, last: rest.join(' ') };
    },
    (v2) => ({ ...v2, locale: 'en' }),
  ],
}) {}

describe('event types', () => {
  const registry = new EventTypeRegistry();
  registry.register([PasswordSet, Renamed]);

  it('stores the explicit type string, never the class name', () => {
    expect(new PasswordSet({ userId: 'u', hash: 'h' }).type).toBe('sample.password_set');
    expect(Renamed.schemaVersion).toBe(3);
  });

  it('refuses type strings that are not dotted lower-case words', () => {
    expect(() => defineEvent('UserRegistered', z.object({}))).toThrow(/dotted lower-case/);
  });

  it('refuses a second class for a registered type', () => {
    class Impostor extends defineEvent('sample.renamed', z.object({})) {}
    expect(() => registry.register([Impostor])).toThrow(/registered twice/);
  });

  it('validates payloads against their schema', () => {
    expect(() => registry.validate(new PasswordSet({ userId: 'u' } as never))).toThrow(InvalidEventPayloadError);
    expect(registry.validate(new PasswordSet({ userId: 'u', hash: 'h' }))).toEqual({
      type: 'sample.password_set',
      schemaVersion: 1,
      data: { userId: 'u', hash: 'h' },
    });
  });

  it('upcasts old shapes step by step to the current version', () => {
    expect(registry.upcast('sample.renamed', 1, { name: 'Ana Maria Horvat' })).toEqual({
      schemaVersion: 3,
      data: { first: 'Ana', last: 'Maria Horvat', locale: 'en' },
    });
    expect(registry.upcast('sample.renamed', 2, { first: 'A', last: 'B' }).data).toEqual({ first: 'A', last: 'B', locale: 'en' });
    expect(registry.upcast('sample.unknown', 1, { x: 1 })).toEqual({ schemaVersion: 1, data: { x: 1 } });
  });

  it('removes secret fields for audit views', () => {
    expect(registry.redact('sample.password_set', { userId: 'u', hash: 'argon2id$...' })).toEqual({ userId: 'u' });
  });

  it('names an unknown type', () => {
    expect(() => registry.get('sample.nope')).toThrow(UnknownEventTypeError);
  });
});
