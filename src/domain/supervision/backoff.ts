// Restart delays for redis-server: quick for a one-off crash, slower for a crash loop, and
// back to quick once Redis has stayed up for a while.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** After running this long, the next crash counts as a first one again. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 30_000, resetAfterMs: 60_000 };

/**
 * The delay before restart number `attempt` (0 = first restart after a healthy run).
 */
export function restartDelay(policy: BackoffPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt));
}

/** The next attempt number, given how long the process that just exited had run. */
export function nextAttempt(policy: BackoffPolicy, previousAttempt: number, ranForMs: number): number {
  return ranForMs >= policy.resetAfterMs ? 0 : previousAttempt + 1;
}
