/**
 * `text` cut to at most `max` UTF-16 units without splitting a surrogate pair: `slice` can end
 * on the first half of an emoji, and PostgreSQL's jsonb refuses the lone half that is left (the
 * event would fail to append: a 500 for text from an IdP or a provider's error).
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
