// When a primary is held: read-only, not ready, until the operator confirms it with a promote
// (same or newer epoch) or demotes it. A primary cannot know, on its own, whether a newer
// primary was elected while it was down or cut off, so it takes no write the operator did
// not give it. Pure: the rules are tested with tables (test/replication/hold.test.ts).
//
// Held is recorded in the state file (`held`), and Redis is kept in line with it by the
// reconcile: a held primary follows the placeholder (see placeholder.ts), so it refuses
// writes at once (READONLY) and refuses to be synced from (NOMASTERLINK): it can neither
// take a write nor hand its older dataset to a replica that has newer data (a primary that
// lost its last writes in a crash would otherwise full-resync them away from its replicas).
//
// The price, measured on every Redis from 5.0 to Valkey 8: a redis-server that starts as a
// replica has no replication backlog, so after a restart hold is confirmed its replicas
// resync in full. Only a restart as a writable, syncable master keeps the backlog (7.0+),
// which is exactly what a hold must not be. A lease expiry restarts nothing: the backlog
// stays, and the replicas continue with a partial resync after the renewal.
import type { PrimaryRestartPolicy } from '../../config/config.js';
import type { Hold, HeldReason, PersistedState } from '../state/state-file.js';

/**
 * How this manager process began:
 * - `first`: no state file existed (a node created now);
 * - `exec`: an in-place upgrade of the manager (same process, Redis untouched) — not a restart;
 * - `restart`: anything else (the pod, the manager or both restarted).
 */
export type StartKind = 'first' | 'exec' | 'restart';

export interface ProcessIdentity {
  pid: number;
  startTicks: number | null;
}

export function startKind(created: boolean, state: Pick<PersistedState, 'exec'>, self: ProcessIdentity): StartKind {
  if (created) return 'first';
  const marker = state.exec;
  if (marker && marker.pid === self.pid && self.startTicks !== null && marker.startTicks === self.startTicks)
    return 'exec';
  return 'restart';
}

/**
 * The hold a restart gives a primary: at the start of the manager (kind `restart`) or when its
 * redis-server started again under a live manager. Null when it is not held by the restart
 * (a replica, an exec, the first start, an already held node, or the `resume` policy).
 */
export function holdOnRestart(
  state: Pick<PersistedState, 'role' | 'held'>,
  kind: StartKind,
  policy: PrimaryRestartPolicy,
  now: Date,
): Hold | null {
  if (state.role !== 'primary' || state.held !== null || kind !== 'restart' || policy !== 'hold') return null;
  return { reason: 'restart', since: now.toISOString() };
}

/** True when a writable primary's lease has run out: it must be held at once. */
export function leaseExpired(state: Pick<PersistedState, 'role' | 'held' | 'leaseExpiresAt'>, now: Date): boolean {
  return (
    state.role === 'primary' &&
    state.held === null &&
    state.leaseExpiresAt !== null &&
    now.getTime() >= Date.parse(state.leaseExpiresAt)
  );
}

/** Seconds left on a writable primary's lease; null when it has none (off, held or a replica). */
export function leaseRemainingSeconds(
  state: Pick<PersistedState, 'role' | 'held' | 'leaseExpiresAt'>,
  now: Date,
): number | null {
  if (state.role !== 'primary' || state.held !== null || state.leaseExpiresAt === null) return null;
  return Math.max(0, (Date.parse(state.leaseExpiresAt) - now.getTime()) / 1000);
}

/** The readiness reason of a held node: its code is the reason code (`held`, `lease-expired`). */
export function heldReadinessReason(reason: HeldReason): string {
  return reason === 'lease-expired'
    ? 'lease-expired: the operator did not renew the primary lease; read-only until it confirms this node (promote with the current epoch) or demotes it'
    : 'held: this primary restarted and a newer one may exist; read-only until the operator confirms it (promote with an epoch not older than its own) or demotes it';
}
