/**
 * Errors the domain raises on purpose. Each has a stable `code`; the services map codes to
 * HTTP statuses and problem types in one table, so a message never decides a status.
 */
export type ErrorCode =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable';

export interface FieldError {
  /** JSON pointer-ish path of the bad field, e.g. `/events/3/email` or `ctx.items`. */
  path: string;
  message: string;
  /** For template faults: where in the field's text. */
  line?: number;
  column?: number;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const conflict = (message: string) => new DomainError('conflict', message);
export const unprocessable = (message: string, errors: readonly FieldError[] = []) =>
  new DomainError('unprocessable', message, errors);
export const invalid = (message: string, errors: readonly FieldError[] = []) =>
  new DomainError('validation', message, errors);
