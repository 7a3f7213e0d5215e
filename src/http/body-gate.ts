// Runs before openapi-backend for every request that matches an operation, in the order a
// careful server needs: authenticate first (an unauthenticated caller learns nothing and
// uploads nothing), refuse writes once the manager is shutting down (503), then check the
// body's media type and content coding (415) and its declared length (413), all from the
// headers alone. Only then is a client that waits for `100 Continue` told to send, and a JSON
// body read (within the limit). Binary bodies (the upgrade) are left for their handler to
// stream. Whatever is refused here is answered without reading the body (unread-body.ts).
// A binary upload refused after authentication is read away instead, when its declared size
// is sane.
import type { RequestHandler } from 'express';
import type { OpenAPIBackend, Operation } from 'openapi-backend';
import type { Authenticate } from '../auth/operator-credentials.js';
import { UnsupportedContentEncodingError, UnsupportedMediaTypeError } from '../errors.js';
import { assertUtf8, readJsonBody, tooLarge } from './json-body.js';
import { OPERATOR_SCHEMES, isRead, toBackendRequest } from './openapi.js';
import { contextOf } from './request-context.js';
import { admitBody, allowReadAway, declaredLength, hasBody } from './unread-body.js';

function requiresOperatorCredentials(operation: Operation): boolean {
  return (operation.security ?? []).some((requirement) => OPERATOR_SCHEMES.some((scheme) => scheme in requirement));
}

/** Bodies are taken as sent: no content coding (gzip, br, deflate…) is undone here. */
function assertIdentityCoding(contentEncoding: string | undefined): void {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length > 0) {
    throw new UnsupportedContentEncodingError(
      `bodies are taken without content coding; Content-Encoding ${codings.join(', ')} is not supported`,
    );
  }
}

/** How far past an upload's limit a refused upload is still read away rather than closed. */
const READ_AWAY_FACTOR = 4;

export interface GateOptions {
  /** The operator's credentials: token, client certificate or both (src/auth/operator-credentials.ts). */
  authenticate: Authenticate;
  jsonLimitBytes: number;
  /** The largest binary body an operation takes (the upgrade's bundle). */
  binaryLimitBytes: number;
  /** Throws UnavailableError once writes are no longer taken (SIGTERM). */
  assertAcceptingWrites: () => void;
}

export function bodyGate(
  api: OpenAPIBackend,
  { authenticate, jsonLimitBytes, binaryLimitBytes, assertAcceptingWrites }: GateOptions,
): RequestHandler {
  return async (req, res, next) => {
    const operation = api.matchOperation(toBackendRequest(req));
    if (!operation) return next();
    const context = contextOf(res);
    context.operationId = operation.operationId;
    if (requiresOperatorCredentials(operation)) {
      context.client = authenticate(req);
      context.authenticated = true;
    }
    if (!isRead(req.method)) assertAcceptingWrites();
    const accepted = Object.keys(
      operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {},
    );
    // A body sent to an operation that takes none is ignored, never parsed (nor read).
    if (!hasBody(req) || accepted.length === 0) return next();
    const mediaType = (req.get('content-type') ?? '').split(';', 1)[0].trim().toLowerCase();
    if (!accepted.includes(mediaType)) {
      throw new UnsupportedMediaTypeError(
        `${operation.operationId} takes ${accepted.join(' or ')}, not ${mediaType === '' ? 'a body without Content-Type' : mediaType}`,
      );
    }
    assertIdentityCoding(req.get('content-encoding'));
    if (mediaType === 'application/json') {
      assertUtf8(req.get('content-type'));
      if ((declaredLength(req) ?? 0) > jsonLimitBytes) throw tooLarge(jsonLimitBytes);
      admitBody(req, res);
      req.body = await readJsonBody(req, jsonLimitBytes);
      return next();
    }
    // An authenticated upload of sane declared size (up to READ_AWAY_FACTOR × what the
    // operation takes) that is refused before anything of it is read, here or by its handler
    // (a malformed Content-Digest, a bad signature, a conflict, a 413 from Content-Length), is
    // read away after the answer, so the client sees the answer instead of a reset connection;
    // anything larger, or refused part-way through, is closed unread (unread-body.ts).
    if (context.authenticated) allowReadAway(res, READ_AWAY_FACTOR * binaryLimitBytes);
    admitBody(req, res);
    next();
  };
}
