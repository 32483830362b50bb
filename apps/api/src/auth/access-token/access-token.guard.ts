import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { PROBLEMS, ProblemError } from '@latchkey/platform';
import { ACCESS_TOKEN_STRATEGY } from './access-token.strategy';

/** 401 /problems/unauthorized for a missing, expired, forged or revoked access token. */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_TOKEN_STRATEGY) {
  override handleRequest<T>(error: unknown, principal: T | false): T {
    if (error || !principal) throw new ProblemError(PROBLEMS.unauthorized, {}, { 'WWW-Authenticate': 'Bearer' });
    return principal;
  }
}
