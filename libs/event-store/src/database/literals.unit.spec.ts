import { bindLiterals, literal } from './literals';

describe('literals for one-message appends', () => {
  it('quotes text so that quotes and backslashes stay data', () => {
    expect(literal(`it's`)).toBe(`'it''s'`);
    expect(literal('a\\b')).toBe(` E'a\\\\b'`);
  });

  it('renders nothing-values, numbers, booleans, dates and JSON the way parameters are sent', () => {
    expect(literal(null)).toBe('NULL');
    expect(literal(undefined)).toBe('NULL');
    expect(literal(42)).toBe(`'42'`);
    expect(literal(false)).toBe(`'false'`);
    expect(literal(new Date('2026-11-26T06:00:00.123Z'))).toBe(`'2026-11-26T06:00:00.123Z'`);
    expect(literal({ a: "b'c" })).toBe(`'{"a":"b''c"}'`);
  });

  it('writes arrays in PostgreSQL array syntax, every element quoted', () => {
    expect(literal(['a', null, 'x,y}'])).toBe(`'{"a",NULL,"x,y}"}'`);
    // The array syntax escapes the quote with a backslash; the string literal then escapes that backslash.
    expect(literal(['say "hi"'])).toBe(` E'{"say \\\\"hi\\\\""}'`);
    expect(literal([])).toBe(`'{}'`);
  });

  it('replaces each placeholder once: a value that looks like a placeholder stays a value', () => {
    expect(bindLiterals('SELECT $1, $2, $10', ['$2', 'two', 3, 4, 5, 6, 7, 8, 9, 'ten'])).toBe(`SELECT '$2', 'two', 'ten'`);
  });

  it('refuses a statement that names a parameter it was not given', () => {
    expect(() => bindLiterals('SELECT $2', ['one'])).toThrow('$2');
  });
});
