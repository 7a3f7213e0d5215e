// Typed errors. Domain code throws these; src/http/problem.ts is the one place that turns
// them into problem+json. A detail must never carry a secret.

const PROBLEM_BASE = 'https://redis-instance-manager.dev/problems/';

/** The URI of a kind of problem (RFC 9457 `type`): every problem document's type comes from here. */
export function problemType(kind: string): string {
  return PROBLEM_BASE + kind;
}

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
    return problemType(this.kind);
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

/**
 * 401 for a write that came on a connection without a client certificate (the manager runs
 * with --tls-client-ca-file). No registered HTTP authentication scheme names TLS client
 * certificates, so the challenge is our own word for what is missing.
 */
export class ClientCertificateRequiredError extends UnauthorizedError {
  constructor(detail: string) {
    super(detail, false);
  }
  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': 'ClientCertificate' };
  }
}

/** 403: credentials were presented but are not trusted (a client certificate that does not verify). */
export class ForbiddenError extends ProblemError {
  readonly status = 403;
  readonly kind = 'forbidden';
  readonly title = 'Forbidden';
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

/** A request body that stopped arriving (an upload that made no progress). */
export class RequestTimeoutError extends ProblemError {
  readonly status = 408;
  readonly kind = 'request-timeout';
  readonly title = 'Request timeout';
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

/** A body in a content coding (gzip, br, deflate…) the server does not undo (RFC 9110 15.5.16). */
export class UnsupportedContentEncodingError extends UnsupportedMediaTypeError {
  override headers(): Record<string, string> {
    return { 'Accept-Encoding': 'identity' };
  }
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

/**
 * The Redis this node runs is too old for the operation (fence on Redis 6.0). Permanent for
 * this node until Redis is upgraded, so not a 503 or 409 (both mean "retry"); the detail names
 * the version needed and the one running (src/redis/capabilities.ts).
 */
export class RedisVersionError extends ProblemError {
  readonly status = 501;
  readonly kind = 'redis-version';
  readonly title = 'Not supported by this Redis version';
}

/** Redis did not answer (down, hung, refused) or the manager is shutting down. */
export class UnavailableError extends ProblemError {
  readonly status = 503;
  readonly kind = 'redis-unavailable';
  readonly title = 'Redis is unavailable';
}

/** A name could not be resolved now, so a decision that depends on it cannot be made (retry). */
export class NameResolutionError extends ProblemError {
  readonly status = 503;
  readonly kind = 'name-resolution';
  readonly title = 'Name resolution failed';
  override headers(): Record<string, string> {
    return { 'Retry-After': '1' };
  }
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
