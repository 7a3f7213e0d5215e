// The `replicaof` line redis-server is (re)started with, from the state file. Asked by the
// supervisor before every spawn (not at adoption: a running Redis keeps its role, and the
// reconcile brings it in line).
import type { PrimaryRestartPolicy } from '../../config/config.js';
import type { PrimaryAddress, StateStore } from '../state/state-file.js';
import { holdOnRestart } from './hold.js';
import { PLACEHOLDER_PRIMARY } from './placeholder.js';

/** `start`: the spawn at the manager's start; `restart`: redis-server exited and is started again. */
export type SpawnKind = 'start' | 'restart';

/**
 * - a replica follows its primary, or the placeholder while it has none (read-only, not
 *   ready, never a source of sync);
 * - a primary starts plainly only at the very first start of a node created by
 *   `--initial-role primary` (single-node use). Any other start of a primary begins behind
 *   the placeholder: held for the operator (the `hold` policy records that before the spawn
 *   when redis-server restarts under a live manager), or, with `resume`, until the reconcile
 *   sees that it loaded a dataset: a primary that lost its data must never come back
 *   writable on its own, or its replicas would resync to nothing.
 */
export function spawnTopology(
  state: StateStore,
  policy: PrimaryRestartPolicy,
): (kind: SpawnKind) => Promise<PrimaryAddress | null> {
  return async (kind) => {
    if (kind === 'restart') {
      await state.update((current) => {
        const held = holdOnRestart(current, 'restart', policy, new Date());
        return held ? { held } : null;
      });
    }
    const { role, primary, held, roleChangedAt } = state.current;
    if (role === 'replica') return primary ?? PLACEHOLDER_PRIMARY;
    const createdAsPrimary = kind === 'start' && state.created && roleChangedAt === null && held === null;
    return createdAsPrimary ? null : PLACEHOLDER_PRIMARY;
  };
}
