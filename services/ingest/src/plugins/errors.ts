/**
 * One error handler for the whole service: every 4xx/5xx leaves as application/problem+json
 * naming what was wrong. Fastify's own errors (bad JSON, wrong content type, body too large,
 * schema validation) are translated too. A 5xx never carries internals to the client.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, type FieldError } from '@mc/core';
import { ProblemError, internalProblem, makeProblem, problemFromError } from '../http/problems';

const FASTIFY_CODES: Readonly<Record<string, { status: number; slug: string; title: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, slug: 'body-too-large', title: 'Body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, slug: 'bad-content-length', title: 'Bad Content-Length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, slug: 'empty-body', title: 'Empty body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, slug: 'invalid-json', title: 'Invalid JSON' },
};

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainError | Error, request, reply) => {
    let problem;
    if (error instanceof DomainError) {
      problem = problemFromError(error);
    } else if (error instanceof ProblemError) {
      problem = error.problem;
    } else if ('validation' in error && Array.isArray(error.validation)) {
      const where = (error as FastifyError).validationContext ?? 'body';
      const errors: FieldError[] = error.validation.map((v) => {
        const missing = v.keyword === 'required' ? `/${(v.params as { missingProperty?: string }).missingProperty}` : '';
        const extra =
          v.keyword === 'additionalProperties'
            ? `/${(v.params as { additionalProperty?: string }).additionalProperty}`
            : '';
        return { path: `${where}${v.instancePath}${missing}${extra}` || where, message: v.message ?? 'is invalid' };
      });
      problem = makeProblem(400, 'validation', 'Invalid request', `The ${where} is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
    } else if ('code' in error && error.code && FASTIFY_CODES[error.code]) {
      const row = FASTIFY_CODES[error.code]!;
      problem = makeProblem(row.status, row.slug, row.title, error.message);
    } else if (error instanceof SyntaxError || ('statusCode' in error && error.statusCode === 400)) {
      problem = makeProblem(400, 'bad-request', 'Bad request', error.message);
    } else if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      problem = makeProblem(error.statusCode, 'client-error', 'Client error', error.message);
    } else {
      request.log.error({ err: error }, 'request failed');
      problem = internalProblem();
    }
    if (problem.status >= 500 && !(error instanceof DomainError) && !(error instanceof ProblemError)) request.log.error({ err: error }, 'request failed');
    if (problem.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type('application/problem+json')
      .send(makeProblem(404, 'not-found', 'Not found', `No route ${request.method} ${request.url.split('?')[0]}`));
  });
}
