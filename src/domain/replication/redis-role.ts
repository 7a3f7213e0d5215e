// What Redis says about its own role, as promote safety and the reconcile need it: the
// replication view (view.ts) plus what else the same INFO reply says (the run, the dataset,
// loading). `redisRole` is pure; `readRole` asks Redis.
import type { RedisAdapter } from '../../redis/adapter.js';
import { field, keyspace, parseInfo, type Info } from '../../redis/info.js';
import { replicationView } from './view.js';

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
  const view = replicationView(info);
  return {
    role: view.role,
    primary: view.primary,
    linkUp: view.link?.up ?? false,
    neverSynced: view.link?.neverUp ?? false,
    offset: Math.max(0, view.offset ?? 0),
    replicationId: view.replicationId,
    empty: keyspace(info).every((db) => db.keys === 0),
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
