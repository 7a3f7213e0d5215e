// What INFO says about this node's replication, derived once. Promote safety (redis-role.ts),
// readiness (probes/readiness.ts), /v1/status (status/status.ts) and the metrics
// (metrics/info-families.ts) all read it from here, so they agree by construction: a
// replica of the placeholder follows nothing, a link is up only when INFO says `up`, a
// last-I/O of -1 means "never". Pure; works on INFO replication alone or on a fuller reply.
import {
  connectedReplicas,
  field,
  isReplica,
  numberField,
  replicationOffset,
  type ConnectedReplica,
  type Info,
} from '../../redis/info.js';
import { isPlaceholder } from './placeholder.js';

/** A replica's link to its primary. */
export interface PrimaryLinkView {
  /** master_host and master_port as INFO gives them (the placeholder's included). */
  host: string | undefined;
  port: number | undefined;
  up: boolean;
  /** master_link_status as INFO gives it (`up`, `down`), or undefined when absent. */
  status: string | undefined;
  /** A full synchronisation is running (it drops to 0 between attempts: see `up` too). */
  syncInProgress: boolean;
  /** Seconds since the last I/O with the primary; null when never (-1) or unknown. */
  lastIoSecondsAgo: number | null;
  /** The link has never been up since this redis-server started. */
  neverUp: boolean;
}

export interface ReplicationView {
  role: 'primary' | 'replica';
  /** The primary this replica follows; null on a primary and behind the placeholder. */
  primary: { host: string; port: number } | null;
  /** A replica of the placeholder: no primary assigned, or held (see placeholder.ts). */
  behindPlaceholder: boolean;
  /** The link to the primary; null on a primary. */
  link: PrimaryLinkView | null;
  /** The offset this node has reached (on a replica: processed from its primary). */
  offset: number | undefined;
  replicationId: string;
  /** The replicas connected to this node (the slaveN lines). */
  replicas: ConnectedReplica[];
  connectedReplicas: number;
}

export function replicationView(info: Info): ReplicationView {
  const replica = isReplica(info);
  const host = field(info, 'master_host');
  const port = numberField(info, 'master_port');
  const behindPlaceholder = replica && isPlaceholder(host, port);
  let link: PrimaryLinkView | null = null;
  if (replica) {
    const status = field(info, 'master_link_status');
    const up = status === 'up';
    const lastIo = numberField(info, 'master_last_io_seconds_ago');
    const downSince = numberField(info, 'master_link_down_since_seconds');
    link = {
      host,
      port,
      up,
      status,
      syncInProgress: field(info, 'master_sync_in_progress') === '1',
      lastIoSecondsAgo: lastIo === undefined || lastIo < 0 ? null : lastIo,
      // -1: the link has never been up since this redis-server started.
      neverUp: !up && (downSince === undefined || downSince < 0),
    };
  }
  return {
    role: replica ? 'replica' : 'primary',
    primary: replica && !behindPlaceholder && host !== undefined && port !== undefined ? { host, port } : null,
    behindPlaceholder,
    link,
    offset: replicationOffset(info),
    replicationId: field(info, 'master_replid') ?? '',
    replicas: connectedReplicas(info),
    connectedReplicas: Math.max(0, Math.trunc(numberField(info, 'connected_slaves') ?? 0)),
  };
}
