import { PROBLEMS, ProblemError } from '@latchkey/platform';
import type { FastifyInstance } from 'fastify';

/** The only endpoints that take HTML form posts: the ACS, where IdPs post from the browser. */
const FORM_ROUTES = /^\/auth\/saml\/[^/?]+\/acs(\?|$)/;

/** Form bodies for the ACS; on any other endpoint a form is 415, as before. */
export function acceptSamlForms(instance: FastifyInstance): void {
  instance.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!FORM_ROUTES.test(request.url)) return done(new ProblemError(PROBLEMS.unsupportedMediaType));
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(String(body))) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
      fields[key] = value;
    }
    done(null, fields);
  });
}
