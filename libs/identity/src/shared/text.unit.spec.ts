import { cutText } from './text';

describe('cutText', () => {
  it('cuts to the length, but never between the halves of a surrogate pair', () => {
    expect(cutText('abcdef', 4)).toBe('abcd');
    expect(cutText('abc', 4)).toBe('abc');
    // '😀' is two UTF-16 units: a cut after its first half drops that half.
    expect(cutText('abc😀d', 4)).toBe('abc');
    expect(cutText('abc😀d', 5)).toBe('abc😀');
    expect(cutText('😀😀', 3)).toBe('😀');
  });
});
