// The `replicaof` line redis-server is (re)started with, from the state file. Read by the
// supervisor at every spawn (not at adoption: a running Redis keeps its role).
import type { PrimaryAddress, StateStore } from '../state/state-file.js';
import { PLACEHOLDER_PRIMARY } from './placeholder.js';

/**
 * - a replica follows its primary, or the placeholder while it has none (read-only, not
 *   ready, never a source of sync);
 * - a primary starts plainly only on the very first start of a node created by
 *   `--initial-role primary` (single-node use). Any other start of a primary (its
 *   redis-server crashed, or the pod restarted) begins held behind the placeholder, and
 *   the manager resumes it as primary once it has loaded a non-empty dataset: a primary
 *   that lost its data must never come back writable on its own, or its replicas would
 *   resync to nothing.
 */
export function replicaOfAtSpawn(state: StateStore): () => PrimaryAddress | null {
  let first = true;
  return () => {
    const createdAsPrimary = first && state.created && state.current.roleChangedAt === null;
    first = false;
    const { role, primary } = state.current;
    if (role === 'replica') return primary ?? PLACEHOLDER_PRIMARY;
    return createdAsPrimary ? null : PLACEHOLDER_PRIMARY;
  };
}
