import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { MetadataContext } from '@latchkey/event-store';
import { PROBLEMS, ProblemError } from '@latchkey/platform';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/access-token/principal';

/**
 * After AccessTokenGuard: the caller must be an account_admin (403 /problems/forbidden
 * otherwise); what they do is recorded with them as the admin actor.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly context: MetadataContext) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>().user;
    if (!principal?.roles.includes('account_admin')) throw new ProblemError(PROBLEMS.forbidden);
    this.context.setActor({ type: 'admin', id: principal.userId });
    return true;
  }
}
