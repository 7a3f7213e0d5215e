// What to tell redis-server so that it matches the state file: the reconcile's decision,
// pure and tested with a table. The state file is the intent; Redis is brought to it:
// - a replica follows its primary, or the placeholder while it has none;
// - a held primary follows the placeholder (read-only, never a source of sync);
// - any other primary is a primary, except one whose redis-server came back empty without
//   having been stopped empty on purpose: that one is held instead (its replicas would
//   otherwise resync to nothing).
import type { PersistedState, PrimaryAddress } from '../state/state-file.js';
import { sameTopology, type Topology } from './epoch.js';
import { PLACEHOLDER_PRIMARY } from './placeholder.js';
import type { RedisRole } from './redis-role.js';

export type ReconcileAction =
  | { kind: 'none' }
  /** REPLICAOF host port (the placeholder included). */
  | { kind: 'follow'; target: PrimaryAddress }
  /** REPLICAOF NO ONE: a primary that came back behind the placeholder, with its data. */
  | { kind: 'resume' }
  /** Record a restart hold: a primary came back empty. */
  | { kind: 'hold-empty' };

export function reconcileAction(
  view: Pick<RedisRole, 'role' | 'primary' | 'empty'>,
  desired: Pick<PersistedState, 'role' | 'primary' | 'held' | 'emptyAtCleanShutdown'>,
): ReconcileAction {
  if (desired.role === 'replica') {
    const target = desired.primary ?? PLACEHOLDER_PRIMARY;
    return follows(view, target) ? { kind: 'none' } : { kind: 'follow', target };
  }
  if (desired.held !== null) {
    return follows(view, PLACEHOLDER_PRIMARY) ? { kind: 'none' } : { kind: 'follow', target: PLACEHOLDER_PRIMARY };
  }
  if (view.role === 'primary') return { kind: 'none' };
  if (view.empty && !desired.emptyAtCleanShutdown) return { kind: 'hold-empty' };
  return { kind: 'resume' };
}

/** Is Redis a replica of `target` (the placeholder included)? */
export function follows(view: Pick<RedisRole, 'role' | 'primary'>, target: PrimaryAddress): boolean {
  if (view.role !== 'replica') return false;
  // redisRole() reports a replica of the placeholder as following nothing.
  if (view.primary === null)
    return target.host === PLACEHOLDER_PRIMARY.host && target.port === PLACEHOLDER_PRIMARY.port;
  return sameTopology({ role: 'replica', primary: view.primary }, { role: 'replica', primary: target });
}

/** Does Redis have the wanted topology (a primary, or a replica of the wanted primary)? */
export function matches(view: Pick<RedisRole, 'role' | 'primary'>, wanted: Topology): boolean {
  return wanted.role === 'primary' ? view.role === 'primary' : wanted.primary !== null && follows(view, wanted.primary);
}
