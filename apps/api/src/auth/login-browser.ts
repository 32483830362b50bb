import { randomToken } from '@latchkey/security';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Marks the browser that starts an SSO, Google or GitHub login. The IdP's answer (SAML ACS,
 * OAuth callback) and the one-time flow result are only taken in that browser, so nobody can
 * push their own finished login into someone else's browser (login CSRF). SameSite=None: the
 * SAML IdP posts to the ACS from its own site.
 */
export const LOGIN_BROWSER_COOKIE = 'lk_login';
const LOGIN_BROWSER_SECONDS = 900;

export function browserOf(req: FastifyRequest): string | undefined {
  const value = req.cookies?.[LOGIN_BROWSER_COOKIE];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/** The browser's mark (kept when it has one, so logins in two tabs do not undo each other). */
export function markBrowser(req: FastifyRequest, res: FastifyReply): string {
  const browser = browserOf(req) ?? randomToken();
  res.setCookie(LOGIN_BROWSER_COOKIE, browser, { httpOnly: true, secure: true, sameSite: 'none', path: '/auth', maxAge: LOGIN_BROWSER_SECONDS });
  return browser;
}
