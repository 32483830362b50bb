import type { AppConfig } from '@latchkey/config';
import type { LoginResult } from '@latchkey/identity';
import { toProblem } from '@latchkey/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { domainProblems } from '../problems';
import { sha256 } from '@latchkey/security';
import type { FlowResults } from './flow-results.store';
import { browserOf } from './login-browser';

/**
 * How the end of an IdP round trip (SAML ACS, OAuth callback) answers: JSON for a caller that
 * accepts it; for a browser, 303 to `${PUBLIC_WEB_URL}/login/continue?flow=<id>` with the
 * result — or the problem, with its status — kept for one read at `GET /auth/flows/:flowId`,
 * by the same browser (its `lk_login` mark).
 */
export async function answerBrowserLogin(
  req: FastifyRequest,
  res: FastifyReply,
  deps: { config: AppConfig; flows: FlowResults },
  login: () => Promise<LoginResult>,
): Promise<void> {
  const json = /\bapplication\/json\b/.test(req.headers.accept ?? '');
  let status = 200;
  let answer: unknown;
  let contentType = 'application/json; charset=utf-8';
  let retryAt: number | undefined;
  try {
    answer = await login();
  } catch (error) {
    const problem = toProblem(error, domainProblems);
    if (json || problem.unexpected) throw error;
    status = problem.body.status;
    answer = { ...problem.body, traceId: req.id };
    const retryAfter = Number(problem.headers['Retry-After']);
    if (retryAfter > 0) retryAt = Date.now() + retryAfter * 1000;
    contentType = 'application/problem+json; charset=utf-8';
  }
  res.header('Cache-Control', 'no-store');
  if (json) {
    await res.status(200).type(contentType).send(answer);
    return;
  }
  const browser = browserOf(req);
  const flowId = await deps.flows.put({ status, body: answer, contentType, browser: browser ? sha256(browser) : null, ...(retryAt ? { retryAt } : {}) });
  await res.redirect(`${deps.config.publicWebUrl}/login/continue?flow=${encodeURIComponent(flowId)}`, 303);
}
