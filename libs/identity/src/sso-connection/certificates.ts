import { X509Certificate } from 'node:crypto';

/** What a request is told of a certificate that `normalizeCertificate` refuses. */
export const CERTIFICATE_FORMAT_MESSAGE = 'must be an X.509 certificate in PEM';

/**
 * A certificate as an admin pastes it (PEM, with or without the BEGIN/END lines, any line
 * breaks) → canonical PEM; undefined when it is not an X.509 certificate.
 */
export function normalizeCertificate(input: string): string | undefined {
  const body = input
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
    return pem;
  } catch {
    return undefined;
  }
}
