import { WeakPasswordError } from '../errors';
import commonPasswords from './common-passwords.json';
import { PasswordPolicy } from './password-policy.service';

const policy = new PasswordPolicy();

describe('PasswordPolicy', () => {
  it.each([
    ['correct horse battery staple'],
    ['Tr4vel-Zagreb-in-June!'],
    ['kx8#Lm2$pQ'], // exactly 10
    ['mein Hund heißt Bello 7'],
    [Array.from({ length: 256 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[(i * 7) % 36]).join('')], // exactly 256
    ['ZdNvB7_k3YqPw0tGm1xS'],
  ])('accepts %p', (password) => {
    expect(policy.reasons(password, { email: 'ana.horvat@example.com', username: 'ana_h' })).toEqual([]);
    expect(() => policy.check(password)).not.toThrow();
  });

  it('counts characters, not bytes or UTF-16 units', () => {
    expect(policy.reasons('🔑🔑🔑🔑🔑ab1!x')).toEqual([]); // 10 characters, 15 UTF-16 units
    expect(policy.reasons('ñandú-2!x')).toContain('too_short'); // 9 characters, more bytes
    expect(policy.reasons('x'.repeat(250) + '🔑'.repeat(7))).toEqual(['too_long']);
  });

  it.each([
    ['short1!', ['too_short']],
    ['a'.repeat(257), ['too_long']],
    ['Password123', ['common']],
    ['P@ssw0rd2024!', ['common']],
    ['iloveyou123456', ['common']],
    ['Welcome2026!', ['common']],
    ['admin12345678', ['common']],
    ['LetMeIn!2025', ['common']],
    ['qwerty2024!!', ['common']],
    ['passwordpassword', ['common']],
    ['QwertyQwerty', ['common']],
    ['motdepasse123', ['common']],
    ['aaaaaaaaaaaa', ['predictable']],
    ['1234567890', ['common']],
    ['2345678901', ['predictable']],
    ['8765432109', ['predictable']],
    ['abcdefghijklm', ['predictable']],
    ['1357913579', ['predictable']],
    ['ababababab', ['predictable']],
    ['xyzxyzxyzxyz', ['predictable']],
    ['zxcvbnm,./', ['common']],
    ['poiuytrewq0987', ['predictable']],
    ['asdfghjkl;\'', ['predictable']],
    ['1qaz2wsx3edc4rfv5t', ['common']],
    ['5tgb6yhn7ujm', ['predictable']],
    ['yxcvbnm,.-', ['predictable']],
    ['Zaq1Xsw2Cde3', ['common']],
    ['2024admin!!', ['common']],
    ['Lozinka.2025', ['common']],
    ['acegikmoqs', ['predictable']],
    ['aabbaabbab', ['predictable']],
  ])('refuses %p', (password, reasons) => {
    expect(policy.reasons(password as string)).toEqual(reasons);
  });

  it('refuses every password of the shipped list, in any letter case', () => {
    expect(commonPasswords.passwords.length).toBeGreaterThan(1000);
    for (const password of commonPasswords.passwords) {
      expect([[password, policy.reasons(password)]]).toEqual([[password, ['common']]]);
      expect(policy.reasons(password.toUpperCase())).toEqual(['common']);
    }
  });

  it('refuses the email, its local part and the username, in any case and decorated with digits', () => {
    const owner = { email: 'Ana.Horvat@Example.com', username: 'AnaTheAdmin' };
    expect(policy.reasons('ana.horvat@example.com', owner)).toEqual(['same_as_email']);
    expect(policy.reasons('ANA.HORVAT1990', owner)).toEqual(['same_as_email']);
    expect(policy.reasons('anatheadmin', owner)).toEqual(['same_as_username']);
    expect(policy.reasons('AnaTheAdmin2024!', owner)).toEqual(['same_as_username']);
    expect(policy.reasons('ana.horvat.is.travelling', owner)).toEqual([]);
    expect(policy.reasons('someone.else@example.com', owner)).toEqual([]);
    expect(policy.reasons('ana.horvat@example.com', {})).toEqual([]);
  });

  it('throws WeakPasswordError with every reason, and never the password', () => {
    const password = 'jsmith1';
    try {
      policy.check(password, { username: 'jsmith1' });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(WeakPasswordError);
      const weak = error as WeakPasswordError;
      expect(weak.code).toBe('weak_password');
      expect(weak.details).toEqual({ reasons: ['too_short', 'same_as_username'] });
      expect(weak.message).not.toContain(password);
      expect(JSON.stringify(weak.details)).not.toContain(password);
    }
  });
});
