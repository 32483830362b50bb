import { storableText } from './text';

describe('storableText', () => {
  it('cuts to the length, but never between the halves of a surrogate pair', () => {
    expect(storableText('abcdef', 4)).toBe('abcd');
    expect(storableText('abc', 4)).toBe('abc');
    // '😀' is two UTF-16 units: a cut after its first half drops that half.
    expect(storableText('abc😀d', 4)).toBe('abc');
    expect(storableText('abc😀d', 5)).toBe('abc😀');
    expect(storableText('😀😀', 3)).toBe('😀');
  });

  it('replaces NUL characters and lone surrogates, which jsonb refuses', () => {
    expect(storableText('a\u0000b', 10)).toBe('a\ufffdb');
    expect(storableText('a\ud800b\udc00c', 10)).toBe('a\ufffdb\ufffdc');
    expect(storableText('ok😀', 10)).toBe('ok😀');
  });
});
