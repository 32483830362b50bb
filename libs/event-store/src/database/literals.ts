import { escapeLiteral } from 'pg';

/**
 * Parameters written into the statement text as quoted literals, so that several statements
 * can travel in one simple-protocol message (one round trip) where parameterized statements
 * need one round trip each. Values are rendered the way node-postgres sends parameters (text
 * format) and quoted with `escapeLiteral`; a quoted literal is untyped, like a parameter, so the
 * statement's casts and target columns decide its type just as they did for `$n`.
 */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) return escapeLiteral(`\\x${value.toString('hex')}`);
  if (Array.isArray(value)) return escapeLiteral(arrayText(value));
  return escapeLiteral(scalarText(value));
}

/** `text` with each `$n` replaced by the literal of `params[n - 1]`, in one pass (a value containing `$2` stays as it is). */
export function bindLiterals(text: string, params: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= params.length) throw new Error(`statement refers to $${n} but has ${params.length} parameters`);
    return literal(params[index]);
  });
}

function scalarText(value: unknown): string {
  if (Buffer.isBuffer(value)) throw new Error('a bytea value inside an array is not supported');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** PostgreSQL's array input syntax: every element double-quoted, `"` and `\` escaped. */
function arrayText(values: readonly unknown[]): string {
  const elements = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayText(v);
    return `"${scalarText(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${elements.join(',')}}`;
}
