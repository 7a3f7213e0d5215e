// Per-request context: a request id for every request (taken from X-Request-Id when it is
// sane, so an operator can follow one call across logs), the operation it matched, whether
// it authenticated, and one structured log line when the response is done. Kept on the raw
// Node response (context-response.ts) so the fast path and express share it.
//
// A plain read that succeeds (the kubelet's probes, Prometheus' scrapes, the operator's
// status polls) is logged at debug: at info every pod would log a line per probe, around the
// clock, and their lines cost a probe a third of its CPU (bench/README.md). Every write, every
// refusal and every failed read is logged at info or above.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ContextResponse } from './context-response.js';

export interface RequestContext {
  requestId: string;
  operationId?: string;
  /** Set by the body gate once the operator's credentials checked out. */
  authenticated: boolean;
  /** The client certificate a write came with (subject CN and fingerprint), for the log. */
  client?: string;
  /** A plain read (fast-path.ts): its line is logged at debug when it succeeds. */
  plainRead?: boolean;
  /** performance.now() when the request arrived. */
  startedMs: number;
}

/** Told about every finished request (the HTTP duration histogram). */
export type RequestObserver = (context: RequestContext, method: string, status: number, seconds: number) => void;

const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** A response of our servers (ContextResponse), or one express has given its own prototype: the field stays. */
const carrier = (res: ServerResponse) => res as ContextResponse;

function newContext(requestId: string): RequestContext {
  return { requestId, authenticated: false, startedMs: performance.now() };
}

export function contextOf(res: ServerResponse): RequestContext {
  return (carrier(res).context ??= newContext(randomUUID()));
}

/**
 * What the request listener calls first for every request: its context (sendBody sends the
 * request id back as X-Request-Id), and one listener for every response's 'finish' that
 * observes its duration and logs its line. The listener is shared, not a closure per request:
 * a probe's allocations are what the garbage collector is paid for (bench/README.md).
 */
export function requestTracker(
  log: Logger,
  observe?: RequestObserver,
): (req: IncomingMessage, res: ServerResponse) => void {
  function finished(this: ServerResponse): void {
    const context = carrier(this).context!;
    const req = this.req;
    const durationMs = performance.now() - context.startedMs;
    observe?.(context, req.method ?? 'OTHER', this.statusCode, durationMs / 1000);
    const level = levelOf(context, this.statusCode);
    if (!log.isLevelEnabled(level)) return;
    const line = {
      requestId: context.requestId,
      method: req.method,
      // The path only: reads ignore query strings, and a write with one is refused anyway.
      path: (req.url ?? '').split('?', 1)[0],
      operation: context.operationId,
      client: context.client,
      status: this.statusCode,
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    log[level](line, 'request');
  }
  return (req, res) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
    carrier(res).context = newContext(requestId);
    res.on('finish', finished);
  };
}

function levelOf(context: RequestContext, status: number): 'debug' | 'info' | 'warn' {
  if (status >= 500) return 'warn';
  return context.plainRead === true && status < 400 ? 'debug' : 'info';
}
