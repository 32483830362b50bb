import { randomToken, sha256 } from '@latchkey/security';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Marks the browser that starts an SSO, Google or GitHub login. The IdP's answer (SAML ACS,
 * OAuth callback) and the one-time flow result are only taken in that browser, so nobody can
 * push their own finished login into someone else's browser (login CSRF). SameSite=None: the
 * SAML IdP posts to the ACS from its own site.
 *
 * Programs that drive a login without a cookie jar (API clients, scripts, test suites) are not
 * browsers and cannot be the victim of this: a request without the mark is taken unless it is a
 * browser navigation (`Sec-Fetch-Mode: navigate`, which every current browser sends and no page
 * can remove) — a browser that started the login always brings its mark back.
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

/** Whether this request may finish a login started by the browser whose mark hashes to `expected`. */
export function sameBrowser(req: FastifyRequest, expected: string | undefined): boolean {
  if (!expected) return true;
  const browser = browserOf(req);
  if (browser) return sha256(browser) === expected;
  return req.headers['sec-fetch-mode'] !== 'navigate';
}
