// The manager's own replication facts as metric families: the hold, the primary lease, our
// write pause, and drift corrections. Read from the state file at each scrape, so they are
// there even while Redis is down (a held primary is worth an alert whatever Redis says).
import type { Family } from '../metrics/exposition.js';
import type { PersistedState } from '../state/state-file.js';
import { leaseRemainingSeconds } from './hold.js';

export function roleFamilies(
  state: Pick<PersistedState, 'role' | 'held' | 'leaseExpiresAt' | 'fence'>,
  driftCorrections: number,
  now = new Date(),
): Family[] {
  const lease = leaseRemainingSeconds(state, now);
  const fenceLeft = state.fence === null ? 0 : Math.max(0, (Date.parse(state.fence.until) - now.getTime()) / 1000);
  const families: Family[] = [
    {
      name: 'redis_instance_held',
      type: 'gauge',
      help: '1 while this primary is held read-only until the operator confirms it (after a restart, or an expired lease).',
      samples: [{ value: state.held === null ? 0 : 1 }],
    },
    {
      name: 'redis_instance_fenced',
      type: 'gauge',
      help: '1 while a write pause of POST /v1/fence is in force (as recorded by the manager).',
      samples: [{ value: fenceLeft > 0 ? 1 : 0 }],
    },
    {
      name: 'redis_instance_fence_remaining_seconds',
      type: 'gauge',
      help: 'Seconds until the write pause of POST /v1/fence lifts by itself; 0 when there is none.',
      samples: [{ value: fenceLeft }],
    },
    {
      name: 'redis_role_drift_corrections_total',
      type: 'counter',
      help: 'Times redis-server was found in another role than the state file gives it (changed behind the manager) and corrected.',
      samples: [{ value: driftCorrections }],
    },
  ];
  if (lease !== null) {
    families.push({
      name: 'redis_instance_lease_remaining_seconds',
      type: 'gauge',
      help: 'Seconds left on the primary lease (--primary-lease-seconds) before this primary stops taking writes unless renewed.',
      samples: [{ value: lease }],
    });
  }
  return families;
}
