import { maskEmail, maskPhone } from './contact';

describe('masked contacts (what a login page may show)', () => {
  it('shows a phone number as its country code, five stars and its last two digits, whatever its length', () => {
    expect(maskPhone('+385911234521')).toBe('+385*****21');
    expect(maskPhone('+38514812345')).toBe('+385*****45');
    expect(maskPhone('+14155552671')).toBe('+1*****71');
    expect(maskPhone('+442079460958')).toBe('+44*****58');
  });

  it('shows an email as its first letter and its domain', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@example.com');
    expect(maskEmail('j@example.com')).toBe('j***@example.com');
  });
});
