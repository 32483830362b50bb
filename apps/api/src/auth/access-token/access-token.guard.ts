import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { PROBLEMS, ProblemError } from '@latchkey/platform';
import { InvalidAccessTokenError } from '@latchkey/security';
import { ACCESS_TOKEN_STRATEGY } from './access-token.strategy';

/**
 * 401 /problems/unauthorized for a missing, expired, forged or revoked access token. An error
 * while checking a well-formed token's session (the database away) is not the token's fault:
 * it goes on as it is (a 503 when a dependency is unavailable), so that a client does not throw
 * a good session away during an outage.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_TOKEN_STRATEGY) {
  override handleRequest<T>(error: unknown, principal: T | false): T {
    if (error && !(error instanceof InvalidAccessTokenError)) throw error;
    if (error || !principal) throw new ProblemError(PROBLEMS.unauthorized, {}, { 'WWW-Authenticate': 'Bearer' });
    return principal;
  }
}
