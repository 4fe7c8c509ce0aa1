/**
 * The one table from error codes to HTTP statuses and RFC 9457 problem bodies. Route code
 * throws DomainErrors; the error handler and the batch/SOAP paths turn them into problems here.
 */
import { DomainError, type ErrorCode, type FieldError } from '@mc/core';
import { problemType, type Problem } from '@mc/contracts';

const TABLE: Readonly<Record<ErrorCode, { status: number; title: string; slug: string }>> = {
  validation: { status: 400, title: 'Invalid request', slug: 'validation' },
  unauthorized: { status: 401, title: 'Unauthorized', slug: 'unauthorized' },
  forbidden: { status: 403, title: 'Forbidden', slug: 'forbidden' },
  not_found: { status: 404, title: 'Not found', slug: 'not-found' },
  conflict: { status: 409, title: 'Conflict', slug: 'conflict' },
  unprocessable: { status: 422, title: 'Unprocessable', slug: 'unprocessable' },
  rate_limited: { status: 429, title: 'Too many requests', slug: 'rate-limited' },
  unavailable: { status: 503, title: 'Service unavailable', slug: 'unavailable' },
};

export function statusOf(code: ErrorCode): number {
  return TABLE[code].status;
}

export function problemFromError(error: DomainError): Problem {
  const row = TABLE[error.code];
  return makeProblem(row.status, row.slug, row.title, error.message, error.errors);
}

export function makeProblem(
  status: number,
  slug: string,
  title: string,
  detail: string,
  errors: readonly FieldError[] = [],
): Problem {
  const problem: Problem = { type: problemType(slug), title, status, detail };
  if (errors.length > 0) problem.errors = errors.map((e) => ({ ...e }));
  return problem;
}

export const internalProblem = (): Problem =>
  makeProblem(500, 'internal', 'Internal error', 'Something went wrong on our side; the error is logged.');

/** Carries a ready problem (e.g. an intake verdict) to the error handler unchanged. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ProblemError';
  }
}

export { DomainError };
