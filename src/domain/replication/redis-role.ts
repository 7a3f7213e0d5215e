// What Redis says about its own role, from one INFO reply (server, persistence, replication
// and keyspace). `redisRole` is pure; `readRole` asks Redis.
import type { RedisAdapter } from '../../redis/adapter.js';
import { field, isReplica, keyspace, numberField, parseInfo, replicationOffset, type Info } from '../../redis/info.js';
import { isPlaceholder } from './placeholder.js';

export interface RedisRole {
  role: 'primary' | 'replica';
  /** The primary a replica follows; null on a primary or when it follows the placeholder. */
  primary: { host: string; port: number } | null;
  linkUp: boolean;
  /** A replica whose link to its primary never completed a sync since redis-server started. */
  neverSynced: boolean;
  /** The offset this node has processed (slave_repl_offset on a replica). */
  offset: number;
  replicationId: string;
  /** No key in any database. */
  empty: boolean;
  runId: string;
  /** Redis is loading its dataset (the role it reports may not be final). */
  loading: boolean;
}

export function redisRole(info: Info): RedisRole {
  const replica = isReplica(info);
  const host = field(info, 'master_host');
  const port = numberField(info, 'master_port');
  const linkUp = replica && field(info, 'master_link_status') === 'up';
  // -1: the link has never been up since this redis-server started.
  const downSince = numberField(info, 'master_link_down_since_seconds');
  const empty = keyspace(info).every((db) => db.keys === 0);
  return {
    role: replica ? 'replica' : 'primary',
    primary: replica && host !== undefined && port !== undefined && !isPlaceholder(host, port) ? { host, port } : null,
    linkUp,
    neverSynced: replica && !linkUp && (downSince === undefined || downSince < 0),
    offset: Math.max(0, replicationOffset(info) ?? 0),
    replicationId: field(info, 'master_replid') ?? '',
    empty,
    runId: field(info, 'run_id') ?? '',
    loading: field(info, 'loading') === '1',
  };
}

/**
 * INFO with no argument (the default sections) carries everything redisRole needs and is
 * accepted by every Redis version; INFO with several sections exists only from Redis 7.0.
 */
export async function readRole(redis: RedisAdapter): Promise<RedisRole> {
  return redisRole(parseInfo(await redis.info('default')));
}
