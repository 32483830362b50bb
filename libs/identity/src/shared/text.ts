/** A NUL character, or half of a UTF-16 surrogate pair without its other half. */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text from outside (an IdP's attributes or status message, a provider's error) made fit for an
 * event: NUL characters and unpaired surrogates, which PostgreSQL's jsonb refuses (the append
 * would fail: a 500), become U+FFFD, and the text is cut to at most `max` UTF-16 units without
 * splitting a surrogate pair (`slice` can end on the first half of an emoji).
 */
export function storableText(text: string, max: number): string {
  const clean = text.replace(UNSTORABLE, '\ufffd');
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
