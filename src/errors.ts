// Typed errors. Domain code throws these; src/http/problem.ts is the one place that turns
// them into problem+json. A detail must never carry a secret.

const PROBLEM_BASE = 'https://redis-instance-manager.dev/problems/';

/** An error the API reports as an RFC 9457 problem. */
export abstract class ProblemError extends Error {
  abstract readonly status: number;
  abstract readonly kind: string;
  abstract readonly title: string;
  /** Extra response headers (WWW-Authenticate on 401, Allow on 405). */
  headers(): Record<string, string> {
    return {};
  }
  get type(): string {
    return PROBLEM_BASE + this.kind;
  }
}

export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends ProblemError {
  readonly status = 400;
  readonly kind = 'validation';
  readonly title = 'Request validation failed';
  constructor(
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
}

export class UnauthorizedError extends ProblemError {
  readonly status = 401;
  readonly kind = 'unauthorized';
  readonly title = 'Unauthorized';
  constructor(
    detail: string,
    private readonly tokenGiven: boolean,
  ) {
    super(detail);
  }
  override headers(): Record<string, string> {
    // RFC 6750: error="invalid_token" only when a token was presented.
    return { 'WWW-Authenticate': this.tokenGiven ? 'Bearer error="invalid_token"' : 'Bearer' };
  }
}

export class NotFoundError extends ProblemError {
  readonly status = 404;
  readonly kind = 'not-found';
  readonly title = 'Not found';
}

export class MethodNotAllowedError extends ProblemError {
  readonly status = 405;
  readonly kind = 'method-not-allowed';
  readonly title = 'Method not allowed';
  constructor(
    detail: string,
    private readonly allow: string[],
  ) {
    super(detail);
  }
  override headers(): Record<string, string> {
    return { Allow: this.allow.join(', ') };
  }
}

export class ConflictError extends ProblemError {
  readonly status = 409;
  readonly kind = 'conflict';
  readonly title = 'Conflict';
}

export class PayloadTooLargeError extends ProblemError {
  readonly status = 413;
  readonly kind = 'payload-too-large';
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends ProblemError {
  readonly status = 415;
  readonly kind = 'unsupported-media-type';
  readonly title = 'Unsupported media type';
}

export class UnprocessableError extends ProblemError {
  readonly status = 422;
  readonly kind = 'unprocessable';
  readonly title = 'Unprocessable content';
}

export class NotImplementedError extends ProblemError {
  readonly status = 501;
  readonly kind = 'not-implemented';
  readonly title = 'Not implemented';
}

/** Redis did not answer (down, hung, refused) or the manager is shutting down. */
export class UnavailableError extends ProblemError {
  readonly status = 503;
  readonly kind = 'redis-unavailable';
  readonly title = 'Redis is unavailable';
}

/** The object storage cannot be read or written now (backup catalogue, deletes). */
export class StorageUnavailableError extends ProblemError {
  readonly status = 503;
  readonly kind = 'storage-unavailable';
  readonly title = 'Object storage is unavailable';
}

/** A bad flag or environment value; reported at start, before anything runs. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The message of anything thrown, for logs and problem details. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
