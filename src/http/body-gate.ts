// Runs before openapi-backend for every request that matches an operation, in the order a
// careful server needs: authenticate first (an unauthenticated caller learns nothing and
// uploads nothing), refuse writes once the manager is shutting down (503), then check the
// body's media type (415), then parse JSON within the size limit (413). Binary bodies (the
// upgrade) are left unread for their handler to stream.
import express, { type RequestHandler } from 'express';
import type { OpenAPIBackend, Operation } from 'openapi-backend';
import type { Authenticate } from '../auth/operator-credentials.js';
import { UnsupportedMediaTypeError } from '../errors.js';
import { OPERATOR_SCHEMES, toBackendRequest } from './openapi.js';
import { contextOf } from './request-context.js';

function requiresOperatorCredentials(operation: Operation): boolean {
  return (operation.security ?? []).some((requirement) => OPERATOR_SCHEMES.some((scheme) => scheme in requirement));
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return headers['transfer-encoding'] !== undefined;
}

export interface GateOptions {
  /** The operator's credentials: token, client certificate or both (src/auth/operator-credentials.ts). */
  authenticate: Authenticate;
  jsonLimitBytes: number;
  /** Throws UnavailableError once writes are no longer taken (SIGTERM). */
  assertAcceptingWrites: () => void;
}

export function bodyGate(
  api: OpenAPIBackend,
  { authenticate, jsonLimitBytes, assertAcceptingWrites }: GateOptions,
): RequestHandler {
  const parseJson = express.json({ limit: jsonLimitBytes, type: () => true, strict: false });
  return (req, res, next) => {
    const operation = api.matchOperation(toBackendRequest(req));
    if (!operation) return next();
    const context = contextOf(res);
    context.operationId = operation.operationId;
    if (requiresOperatorCredentials(operation)) {
      context.client = authenticate(req);
      context.authenticated = true;
    }
    if (req.method !== 'GET') assertAcceptingWrites();
    const accepted = Object.keys(
      operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {},
    );
    // A body sent to an operation that takes none is ignored, never parsed.
    if (!hasBody(req.headers) || accepted.length === 0) return next();
    const mediaType = (req.get('content-type') ?? '').split(';', 1)[0].trim().toLowerCase();
    if (!accepted.includes(mediaType)) {
      throw new UnsupportedMediaTypeError(
        `${operation.operationId} takes ${accepted.join(' or ')}, not ${mediaType === '' ? 'a body without Content-Type' : mediaType}`,
      );
    }
    if (mediaType === 'application/json') return parseJson(req, res, next);
    next();
  };
}
