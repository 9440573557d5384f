// Domain errors: services throw these; the GraphQL layer turns each into an error with a stable
// `extensions.code`. Nothing below a resolver builds GraphQL errors itself.

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'CONFLICT'
  | 'QUERY_TOO_COMPLEX'
  | 'WINDOW_CLOSED'
  | 'META_ERROR'
  | 'RATE_LIMITED';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id: string) {
    super('NOT_FOUND', `${entity} ${id} was not found`, { entity, id });
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, readonly field?: string, details: Record<string, unknown> = {}) {
    super('VALIDATION_FAILED', message, field ? { field, ...details } : details);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, details);
  }
}

/** A free-form message outside the customer's 24-hour window: only an approved template may go. */
export class WindowClosedError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('WINDOW_CLOSED', message, details);
  }
}

/** Meta refused a call made on the caller's behalf (e.g. listing templates with an expired token). */
export class MetaRequestError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('META_ERROR', message, details);
  }
}

/** A key spent its budget of calls; `retryAfterSeconds` says when the next window starts. */
export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number, limitPerMinute: number) {
    super('RATE_LIMITED', `this API key made more than ${limitPerMinute} calls in a minute; try again in ${retryAfterSeconds} s`, { retryAfterSeconds, limitPerMinute });
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'only the operator may do this') {
    super('FORBIDDEN', message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** Postgres unique_violation, so services can turn a race into a clear CONFLICT. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = (error as { cause?: unknown })?.cause ?? error;
  const pg = e as { code?: string; constraint_name?: string };
  return pg?.code === '23505' && (!constraint || pg.constraint_name === constraint);
}
