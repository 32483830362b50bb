import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { PROBLEMS } from '../http/problem';
import { sendProblem } from '../http/problem.filter';
import { ReadinessService } from './readiness.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** The process is up (for restarts); says nothing about its dependencies. */
  @Get('live')
  @ApiOkResponse({ description: 'The process is running' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** PostgreSQL and Redis answer (for load balancers); 503 problem+json naming what is down. */
  @Get('ready')
  @ApiOkResponse({ description: 'PostgreSQL and Redis answer' })
  @ApiServiceUnavailableResponse({ description: 'PostgreSQL or Redis does not answer' })
  async ready(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { ready, checks } = await this.readiness.check();
    res.setHeader('Cache-Control', 'no-store');
    if (ready) {
      res.status(200).json({ status: 'ok', checks });
      return;
    }
    sendProblem(req, res, { body: { ...PROBLEMS.unavailable, detail: 'a dependency does not answer', checks }, headers: {} });
  }
}
