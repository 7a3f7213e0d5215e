// /v1/status: what this instance is, read from INFO at the moment of the request. A field
// that cannot be known is null; nothing is served from a cache.
import type { Schemas, Status } from '../../contract.js';
import { field, numberField, parseInfo, type Info } from '../../redis/info.js';
import type { RedisAdapter } from '../../redis/adapter.js';
import { replicationView } from '../replication/view.js';
import type { PersistedState } from '../state/state-file.js';

export interface StatusContext {
  manager: Schemas['ManagerInfo'];
  restarts: number;
  /** The state file: the role the operator gave, the epoch, a hold, the lease. */
  state: Pick<PersistedState, 'role' | 'epoch' | 'roleChangedAt' | 'held' | 'leaseExpiresAt'>;
  /** A pause of ours on the redis-server with this run id, while it lasts. */
  fenceOn?: (runId: string) => { until: string } | null;
  now: Date;
}

function integer(info: Info, name: string): number {
  return Math.max(0, Math.trunc(numberField(info, name) ?? 0));
}

/** Builds the status document from one INFO reply. Pure. */
export function statusFromInfo(info: Info, context: StatusContext): Status {
  const { state } = context;
  const fence = context.fenceOn?.(field(info, 'run_id') ?? '') ?? null;
  const view = replicationView(info);
  // A replica of the placeholder (a node with no primary yet) follows nothing.
  const primary: Status['primary'] =
    view.primary && view.link
      ? {
          host: view.primary.host,
          port: Math.max(0, Math.trunc(view.primary.port)),
          linkStatus: view.link.up ? 'up' : 'down',
          syncInProgress: view.link.syncInProgress,
          lastIoSecondsAgo: view.link.lastIoSecondsAgo,
        }
      : null;
  return {
    role: view.role,
    replicationId: view.replicationId,
    replicationOffset: Math.max(0, Math.trunc(view.offset ?? 0)),
    connectedReplicas: view.connectedReplicas,
    replicas: view.replicas.map((r) => ({
      host: r.host,
      port: r.port,
      state: r.state,
      offset: r.offset,
      lagSeconds: r.lag === undefined ? null : r.lag,
    })),
    // A replica whose link is down has no meaningful lag: say we do not know.
    lagSeconds: primary && primary.linkStatus === 'up' ? (primary.lastIoSecondsAgo ?? null) : null,
    primary,
    desiredRole: state.role,
    epoch: state.epoch,
    held: state.held !== null,
    heldReason: state.held?.reason ?? null,
    leaseExpiresAt: state.role === 'primary' && state.held === null ? state.leaseExpiresAt : null,
    fenced: fence !== null,
    fencedUntil: fence?.until ?? null,
    lastRoleChangeAt: state.roleChangedAt,
    redis: {
      version: field(info, 'valkey_version') ?? field(info, 'redis_version') ?? 'unknown',
      pid: integer(info, 'process_id'),
      runId: field(info, 'run_id') ?? '',
      uptimeSeconds: integer(info, 'uptime_in_seconds'),
      loading: field(info, 'loading') === '1',
      restarts: context.restarts,
    },
    manager: context.manager,
    observedAt: context.now.toISOString(),
  };
}

/** Reads INFO now; throws UnavailableError (503) when Redis cannot answer. */
export async function readStatus(redis: RedisAdapter, context: () => StatusContext): Promise<Status> {
  const text = await redis.info('default');
  return statusFromInfo(parseInfo(text), context());
}
