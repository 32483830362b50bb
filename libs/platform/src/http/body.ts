import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { PROBLEMS } from './problem';
import { sendProblem, toProblem } from './problem.filter';

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Request bodies: JSON everywhere (size-limited), urlencoded forms only where a protocol
 * needs them (SAML's HTTP-POST binding). Any other content type is 415; a JSON body that is
 * not an object is 400; parser failures become problem+json like every other error.
 */
export function bodyParsing(options: { limitBytes: number; formPaths?: RegExp[] }): (RequestHandler | ((err: unknown, req: Request, res: Response, next: NextFunction) => void))[] {
  const formPaths = options.formPaths ?? [];
  const isForm = (req: Request) => formPaths.some((p) => p.test(req.path));
  const json = express.json({ limit: options.limitBytes, type: ['application/json', 'application/*+json'] });
  const form = express.urlencoded({ limit: options.limitBytes, extended: false });

  const contentType: RequestHandler = (req, res, next) => {
    if (!hasBody(req) || ['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next();
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const jsonLike = type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
    if (jsonLike || (type === 'application/x-www-form-urlencoded' && isForm(req))) return next();
    sendProblem(req, res, { body: { ...PROBLEMS.unsupportedMediaType, detail: 'send application/json' }, headers: {} });
  };
  const parse: RequestHandler = (req, res, next) => (isForm(req) ? form(req, res, next) : json(req, res, next));
  const objectOnly: RequestHandler = (req, res, next) => {
    if (Array.isArray(req.body)) {
      return sendProblem(req, res, {
        body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'must be a JSON object' }] },
        headers: {},
      });
    }
    next();
  };
  const errors = (err: unknown, req: Request, res: Response, _next: NextFunction) => sendProblem(req, res, toProblem(err));
  return [contentType, parse, objectOnly, errors];
}
