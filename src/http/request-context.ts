// Per-request context: a request id for every request (taken from X-Request-Id when it is
// sane, so an operator can follow one call across logs), the operation it matched, whether
// it authenticated, and one structured log line when the response is done. Kept beside the
// raw Node response so the fast path and express share it.
//
// A plain read that succeeds (the kubelet's probes, Prometheus' scrapes, the operator's
// status polls) is logged at debug: at info every pod would log a line per probe, around the
// clock, and their lines cost a probe a third of its CPU (bench/README.md). Every write, every
// refusal and every failed read is logged at info or above.
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
  /** A plain read (fast-path.ts): its line is logged at debug when it succeeds. */
  plainRead?: boolean;
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
    const level = levelOf(context, res.statusCode);
    if (!log.isLevelEnabled(level)) return;
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
    log[level](line, 'request');
  });
  return context;
}

function levelOf(context: RequestContext, status: number): 'debug' | 'info' | 'warn' {
  if (status >= 500) return 'warn';
  return context.plainRead === true && status < 400 ? 'debug' : 'info';
}
