import type { DomainProblemMap, ProblemType } from '@latchkey/platform';

const problem = (name: string, title: string, status: number): ProblemType => ({ type: `/problems/${name}`, title, status });

const rateLimited = problem('rate-limited', 'Too many requests', 429);
const notFound = problem('not-found', 'Not found', 404);
const validation = problem('validation', 'The request is not valid', 400);

/**
 * Domain error code → problem type (API.md). The one place where domain failures meet HTTP;
 * every code a command can throw must be here (a test checks it), or the caller would see a 500.
 */
export const domainProblems: DomainProblemMap = {
  concurrency: problem('conflict', 'The resource changed meanwhile; try again', 409),
  unique_claim_taken: problem('conflict', 'The value is already taken', 409),
  username_taken: problem('username-taken', 'The username is taken', 409),
  email_taken: problem('email-taken', 'The email is already used in this account', 409),
  weak_password: problem('weak-password', 'The password is too weak', 422),
  invalid_phone: validation,
  channel_not_available: validation,
  invalid_credentials: problem('invalid-credentials', 'Wrong login or password', 401),
  web_access_denied: problem('web-access-denied', 'This user has no access to the web interface', 403),
  reauthentication_required: problem('reauthentication-required', 'Log in again, or enter your password again (POST /auth/me/reauthenticate), to change how you receive your codes', 403),
  // 400, not 401: the session is fine (a client must not take this for an expired token), the password is not.
  reauthentication_failed: problem('wrong-password', 'Wrong password', 400),
  no_password: problem('no-password', 'This user has no password: log in again (single sign-on, Google, GitHub) instead', 409),
  account_disabled: problem('account-disabled', 'This user is disabled', 403),
  sso_required: problem('sso-required', 'This account logs in with single sign-on', 403),
  login_throttled: rateLimited,
  otp_send_limit: rateLimited,
  resend_cooldown: rateLimited,
  invalid_otp: problem('invalid-otp', 'Wrong code', 400),
  otp_expired: problem('otp-expired', 'The code has expired', 410),
  too_many_attempts: problem('too-many-attempts', 'Too many wrong codes; log in again', 429),
  challenge_not_found: notFound,
  selection_not_found: notFound,
  not_found: notFound,
  invalid_token: problem('invalid-token', 'The token is not valid', 401),
  invalid_access_token: problem('unauthorized', 'Authentication is required', 401),
  hashing_busy: problem('unavailable', 'Too many logins in progress; try again shortly', 503),
  reset_throttled: rateLimited,
  admin_reset_limit: rateLimited,
  last_admin: problem('last-admin', 'The account would be left without an account_admin', 409),
  identifier_taken: problem('identifier-taken', 'The SSO identifier is used by another connection', 409),
  connection_not_shared: notFound,
  sso_not_configured: problem('sso-not-configured', 'No single sign-on is configured for this email', 404),
  no_account: problem('no-account', 'There is no user for this identity', 403),
  invalid_saml_response: problem('invalid-saml-response', 'The SAML response is not valid', 401),
  confirmation_not_found: notFound,
  invalid_certificate: validation,
  provider_not_configured: problem('provider-not-configured', 'This login provider is not configured', 404),
  invalid_oauth_callback: problem('invalid-oauth-callback', 'The login callback is not valid (tampered, missing or used state or code)', 400),
  invalid_reset_token: problem('invalid-reset-token', 'The link is not valid (unknown, used, replaced by a newer one, or expired)', 400),
};
