import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from '@latchkey/identity';
import type { FastifyRequest } from 'fastify';

/** Who is calling, from a verified access token whose session is still active. */
export interface Principal {
  userId: string;
  accountId: string;
  roles: Role[];
  sessionId: string;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<FastifyRequest & { user: Principal }>().user;
});
