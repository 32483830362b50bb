import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { PROBLEMS, ProblemError } from '../http/problem';
import { ReadinessService, type CheckState } from './readiness.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** The process is up (for restarts); says nothing about its dependencies. */
  @Get('live')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ description: 'The process is running' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** PostgreSQL and Redis answer (for load balancers); 503 problem+json naming what is down. */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ description: 'PostgreSQL and Redis answer' })
  @ApiServiceUnavailableResponse({ description: 'PostgreSQL or Redis does not answer' })
  async ready(): Promise<{ status: 'ok'; checks: { postgres: CheckState; redis: CheckState } }> {
    const { ready, checks } = await this.readiness.check();
    if (!ready) throw new ProblemError(PROBLEMS.unavailable, { detail: 'a dependency does not answer', checks });
    return { status: 'ok', checks };
  }
}
