// Per-request context: a request id for every request (taken from X-Request-Id when it is
// sane, so an operator can follow one call across logs), the operation it matched, whether
// it authenticated, and one structured log line when the response is done. Kept beside the
// raw Node response so the fast path and express share it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export interface RequestContext {
  requestId: string;
  operationId?: string;
  /** Set by the body gate once the operator's credentials checked out. */
  authenticated: boolean;
  /** The client certificate a write came with (subject CN and fingerprint), for the log. */
  client?: string;
}

/** Told about every finished request (the HTTP duration histogram). */
export type RequestObserver = (context: RequestContext, method: string, status: number, seconds: number) => void;

const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const contexts = new WeakMap<ServerResponse, RequestContext>();

export function contextOf(res: ServerResponse): RequestContext {
  let context = contexts.get(res);
  if (!context) {
    context = { requestId: randomUUID(), authenticated: false };
    contexts.set(res, context);
  }
  return context;
}

export function beginRequest(
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  observe?: RequestObserver,
): RequestContext {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
  const context: RequestContext = { requestId, authenticated: false };
  contexts.set(res, context);
  res.setHeader('X-Request-Id', requestId);
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    observe?.(context, req.method ?? 'OTHER', res.statusCode, durationMs / 1000);
    const line = {
      requestId,
      method: req.method,
      // The path only: reads ignore query strings, and a write with one is refused anyway.
      path: (req.url ?? '').split('?', 1)[0],
      operation: context.operationId,
      client: context.client,
      status: res.statusCode,
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    if (res.statusCode >= 500) log.warn(line, 'request');
    else log.info(line, 'request');
  });
  return context;
}
