import { Injectable } from '@nestjs/common';
import { WeakPasswordError, type WeakPasswordReason } from '../errors';
import commonPasswords from './common-passwords.json';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const COMMON = new Set(commonPasswords.passwords);
const ROOTS = new Set(commonPasswords.baseWords);

/** Keyboard rows and column walks (QWERTY, QWERTZ, AZERTY); a password inside one, either direction, is a walk. */
const KEYBOARD_WALKS = [
  '`1234567890-=',
  'qwertyuiop[]\\',
  "asdfghjkl;'",
  'zxcvbnm,./',
  'qwertzuiopü+',
  'asdfghjklöä#',
  'yxcvbnm,.-',
  'azertyuiop^$',
  'qsdfghjklmù*',
  'wxcvbn,;:!',
  '1234567890qwertyuiopasdfghjklzxcvbnm',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/',
  'zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0',
  '1q2w3e4r5t6y7u8i9o0p',
  'q1w2e3r4t5y6u7i8o9p0',
  'qazwsxedcrfvtgbyhnujmikolp',
  'qweasdzxcrtyfghvbnuiojklm,.',
];
const WALKS_BOTH_WAYS = KEYBOARD_WALKS.flatMap((row) => [row, [...row].reverse().join('')]);

/** Characters people put in place of letters ("p@ssw0rd"). */
const LEET: Record<string, string> = { '@': 'a', '4': 'a', '0': 'o', '1': 'i', '!': 'i', '3': 'e', $: 's', '5': 's', '7': 't', '+': 't' };
const SYMBOL_LEET: Record<string, string> = { '@': 'a', $: 's', '!': 'i' };

export interface PasswordOwner {
  email?: string | null;
  username?: string | null;
}

/**
 * The password rules of API.md (sign-up, reset): 10 to 256 characters, not a common
 * password, not the user's email (or its local part) or username. "Common" covers the
 * shipped list (common-passwords.json), a listed root decorated with digits, years or
 * symbols ("Welcome2024!", "P@ssw0rd123"), and patterns: one character repeated, a short
 * block repeated, two characters only, a run like 1234567890 or abcdefghij, a keyboard walk.
 * See libs/security/README.md.
 */
@Injectable()
export class PasswordPolicy {
  /** Throws `WeakPasswordError` listing every reason the password is refused. */
  check(password: string, owner: PasswordOwner = {}): void {
    const reasons = this.reasons(password, owner);
    if (reasons.length > 0) throw new WeakPasswordError(reasons);
  }

  /** The reasons (stable codes) a password would be refused; empty when it is acceptable. */
  reasons(password: string, owner: PasswordOwner = {}): WeakPasswordReason[] {
    const normalized = password.normalize('NFKC');
    const length = [...normalized].length;
    const reasons: WeakPasswordReason[] = [];
    if (length < MIN_PASSWORD_LENGTH) reasons.push('too_short');
    if (length > MAX_PASSWORD_LENGTH) {
      // Nothing else is worth computing on a value this long.
      reasons.push('too_long');
      return reasons;
    }
    const folded = normalized.toLowerCase();
    const weakness = weaknessOf(folded);
    if (weakness) reasons.push(weakness);
    const email = owner.email?.normalize('NFKC').toLowerCase().trim();
    if (email && (matchesIdentity(folded, email) || matchesIdentity(folded, localPart(email)))) reasons.push('same_as_email');
    const username = owner.username?.normalize('NFKC').toLowerCase().trim();
    if (username && matchesIdentity(folded, username)) reasons.push('same_as_username');
    return reasons;
  }
}

function weaknessOf(folded: string): 'common' | 'predictable' | undefined {
  if (COMMON.has(folded)) return 'common';
  if (isPattern(folded)) return 'predictable';
  for (const core of cores(folded)) {
    if (ROOTS.has(core) || COMMON.has(core)) return 'common';
    if (core.length >= 4 && isPattern(core)) return 'predictable';
    // A root typed twice or more: "qwertyqwerty", "passwordpassword".
    const unit = repeatedUnit(core);
    if (unit && (ROOTS.has(unit) || COMMON.has(unit))) return 'common';
  }
  return undefined;
}

function isPattern(text: string): boolean {
  const chars = [...text];
  if (new Set(chars).size <= 2) return true;
  const unit = repeatedUnit(text);
  if (unit && [...unit].length <= 4) return true;
  if (isRun(chars)) return true;
  return chars.length >= 4 && WALKS_BOTH_WAYS.some((row) => row.includes(text));
}

/** The shortest block the text is made of when it is that block repeated ("abcabcabc" → "abc"). */
function repeatedUnit(text: string): string | undefined {
  for (let size = 1; size <= text.length / 2; size++) {
    if (text.length % size !== 0) continue;
    const unit = text.slice(0, size);
    if (unit.repeat(text.length / size) === text) return unit;
  }
  return undefined;
}

/** Digits only or letters only, each one step (±1 or ±2, digits wrapping 9→0) from the last: 1234567890, 9876543210, acegikmoqs. */
function isRun(chars: string[]): boolean {
  const digits = chars.every((c) => c >= '0' && c <= '9');
  const letters = chars.every((c) => c >= 'a' && c <= 'z');
  if (!digits && !letters) return false;
  const step = (a: string, b: string) => {
    const d = b.charCodeAt(0) - a.charCodeAt(0);
    return digits ? ((d % 10) + 10) % 10 : d;
  };
  const first = step(chars[0], chars[1]);
  const allowed = digits ? [1, 2, 8, 9] : [1, 2, -1, -2];
  if (!allowed.includes(first)) return false;
  for (let i = 2; i < chars.length; i++) if (step(chars[i - 1], chars[i]) !== first) return false;
  return true;
}

/**
 * The password without the decoration people add to a weak word: digits and symbols at
 * either end, with and without undoing letter substitutions ("P@ssw0rd123!" → "password").
 */
function cores(folded: string): Set<string> {
  const strip = (text: string) => text.replace(/^[\p{N}\p{P}\p{S}\s]+|[\p{N}\p{P}\p{S}\s]+$/gu, '');
  const unleet = (text: string, table: Record<string, string>) => [...text].map((c) => table[c] ?? c).join('');
  const stripped = strip(folded);
  const symbolsUndone = strip(unleet(folded, SYMBOL_LEET));
  const found = new Set<string>();
  for (const core of [stripped, symbolsUndone]) {
    if (core === '') continue;
    found.add(core);
    found.add(unleet(core, LEET));
    found.add(unleet(core, { ...LEET, '1': 'l' }));
  }
  return found;
}

/** The password is the identity itself, or the identity decorated with digits and symbols ("jsmith2024!"). */
function matchesIdentity(folded: string, identity: string): boolean {
  if (identity === '') return false;
  if (folded === identity) return true;
  return cores(folded).has(identity);
}

function localPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? email.slice(0, at) : email;
}
