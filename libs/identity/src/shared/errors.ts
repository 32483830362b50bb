import { DomainError } from '@latchkey/event-store';

/** Failures of the identity domain; apps/api maps each `code` to a problem type. */
function domainError(code: string, message: string) {
  return class extends DomainError {
    readonly code = code;
    constructor(details: Record<string, unknown> = {}) {
      super(message);
      Object.assign(this.details, details);
    }
  };
}

export class UsernameTakenError extends domainError('username_taken', 'the username is taken') {}
export class EmailTakenError extends domainError('email_taken', 'the email is already used in this account') {}
export class InvalidCredentialsError extends domainError('invalid_credentials', 'wrong login or password') {}
export class WebAccessDeniedError extends domainError('web_access_denied', 'the user has no web access') {}
export class AccountDisabledError extends domainError('account_disabled', 'the user is disabled') {}
export class SsoRequiredError extends domainError('sso_required', 'this account logs in with SSO') {}
/** details.retryAfterSeconds */
export class LoginThrottledError extends domainError('login_throttled', 'too many failed logins') {}
/** details.retryAfterSeconds */
export class OtpSendLimitError extends domainError('otp_send_limit', 'too many codes sent to this user') {}
/** details.retryAfterSeconds */
export class ResendCooldownError extends domainError('resend_cooldown', 'a new code cannot be sent yet') {}
/** details.attemptsLeft */
export class InvalidOtpError extends domainError('invalid_otp', 'wrong code') {}
export class OtpExpiredError extends domainError('otp_expired', 'the code has expired or was used') {}
export class TooManyAttemptsError extends domainError('too_many_attempts', 'too many wrong codes') {}
export class ChallengeNotFoundError extends domainError('challenge_not_found', 'no such challenge') {}
export class ChannelNotAvailableError extends domainError('channel_not_available', 'channel not available for this challenge') {}
export class SelectionNotFoundError extends domainError('selection_not_found', 'no such account selection') {}
export class InvalidRefreshTokenError extends domainError('invalid_token', 'the token is not valid') {}
export class NotFoundError extends domainError('not_found', 'not found') {}
export class InvalidPhoneError extends domainError('invalid_phone', 'phone must be in E.164') {}
/** Unknown, used, superseded or expired: one answer for all, so a link's history is not revealed. */
export class InvalidResetTokenError extends domainError('invalid_reset_token', 'the reset link is not valid') {}
/** details.retryAfterSeconds */
export class ResetThrottledError extends domainError('reset_throttled', 'too many reset requests from this address') {}
/** details.retryAfterSeconds */
export class AdminResetLimitError extends domainError('admin_reset_limit', 'too many reset or invitation emails from this account') {}
/** The change would leave the account without an enabled account_admin. */
export class LastAdminError extends domainError('last_admin', 'an account needs at least one enabled account_admin') {}
/** The SP-initiated URL identifier is used by another connection. */
export class IdentifierTakenError extends domainError('identifier_taken', 'the SSO identifier is taken') {}
/** The connection is not offered to this account (or no longer exists). */
export class ConnectionNotSharedError extends domainError('connection_not_shared', 'the connection is not shared with this account') {}
/** No SSO connection serves this email (or identifier). */
export class SsoNotConfiguredError extends domainError('sso_not_configured', 'no single sign-on is configured for this email') {}
/** The IdP vouched for someone who has no user here and the connection does not create users. */
export class NoAccountError extends domainError('no_account', 'there is no user for this identity') {}
/** details.reason: why the IdP's response was refused (kept in the SsoLoginRejected event, not shown). */
export class InvalidSamlResponseError extends domainError('invalid_saml_response', 'the SAML response is not valid') {}
export class ConfirmationNotFoundError extends domainError('confirmation_not_found', 'no such group confirmation') {}
/** details.errors: [{field, message}] */
export class InvalidCertificateError extends domainError('invalid_certificate', 'the certificate is not valid') {}
/** Google or GitHub login asked for, but that provider has no client configured. */
export class ProviderNotConfiguredError extends domainError('provider_not_configured', 'this login provider is not configured') {}
/** details.reason: why the provider's callback was refused (kept in the event, not shown). */
export class InvalidOAuthCallbackError extends domainError('invalid_oauth_callback', 'the login callback is not valid') {}
/** A change to how the user proves themselves (the code's phone or channel) needs a login of the last few minutes. */
export class ReauthenticationRequiredError extends domainError('reauthentication_required', 'log in again to change this') {}
/** The password entered again in a session (`POST /auth/me/reauthenticate`) is wrong. */
export class ReauthenticationFailedError extends domainError('reauthentication_failed', 'wrong password') {}
/** A user without a password (single sign-on, Google, GitHub) proves themselves by logging in again. */
export class NoPasswordError extends domainError('no_password', 'this user has no password') {}
