// Shared plumbing for the generated operations: a per-call timeout, and problem+json
// responses turned into typed errors. (Authentication is added by createClient.)
import type { FetchResult } from './operations.js';
import type { components } from './schema.js';

export type Problem = components['schemas']['Problem'];

/** The server answered with an RFC 9457 problem document. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'ProblemError';
  }
}

/** The server did not answer within the call's timeout. */
export class TimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

export interface CallOptions {
  /** Abort the call after this many milliseconds (default 10 000). */
  timeoutMs?: number;
  /** An extra signal to abort the call. */
  signal?: AbortSignal;
}

function isProblemResponse(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').startsWith('application/problem+json');
}

function problemFrom(response: Response, body: unknown): Problem {
  if (body && typeof body === 'object' && 'title' in body) return body as Problem;
  return { type: 'about:blank', title: response.statusText || 'Error', status: response.status };
}

/**
 * Runs one request with a timeout. Documented results (including a probe's 503 body) are
 * returned; problem documents and undocumented statuses throw ProblemError.
 */
export async function call<T>(
  defaults: CallOptions,
  options: CallOptions | undefined,
  send: (signal: AbortSignal) => Promise<FetchResult>,
): Promise<T> {
  const timeoutMs = options?.timeoutMs ?? defaults.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const extra = [options?.signal, defaults.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = AbortSignal.any([timeout, ...extra]);
  let result: FetchResult;
  try {
    result = await send(signal);
  } catch (err) {
    if (timeout.aborted) throw new TimeoutError(timeoutMs);
    throw err;
  }
  const { response } = result;
  if (isProblemResponse(response)) throw new ProblemError(response.status, problemFrom(response, result.error));
  return (result.data ?? result.error) as T;
}
