// INFO (parsed) → metric families. Pure: the same INFO text always gives the same families.
// Scalar fields come from the table in info-scalars.ts; the structured lines (per db, per
// command, per error, per replica) and the derived metrics are built here.
import {
  commandStats,
  keyValue,
  keyspace,
  latencyStats,
  toNumber,
  type ConnectedReplica,
  type Info,
} from '../../redis/info.js';
import { replicationView, type ReplicationView } from '../replication/view.js';
import type { Family, Labels, Sample } from './exposition.js';
import { SCALAR_METRICS, type ScalarMetric } from './info-scalars.js';
import { remembered } from './memo.js';
import { cmdLabels, dbLabels, errLabels, lastSet, quantileLabels } from './label-sets.js';

/** INFO that is not INFO (a proxy's banner, a truncated reply): a parse failure. */
export class InfoParseError extends Error {
  override name = 'InfoParseError';
}

/**
 * Scalar metrics grouped by name: Redis renamed some fields (slave_priority → replica_priority).
 * An array, in the table's order of names, walked at every scrape.
 */
const SCALARS_BY_NAME: readonly { name: string; candidates: readonly ScalarMetric[] }[] = (() => {
  const byName = new Map<string, ScalarMetric[]>();
  for (const metric of SCALAR_METRICS) {
    const list = byName.get(metric.name) ?? [];
    list.push(metric);
    byName.set(metric.name, list);
  }
  return [...byName].map(([name, candidates]) => ({ name, candidates }));
})();

const REPLICA_STATES = ['wait_bgsave', 'send_bulk', 'online'] as const;

/** Also redis_exporter compat mode's, where Redis (< 6.2) has no server_time_usec. */
export const START_TIME_HELP = 'Unix time, in seconds, when redis-server started (server_time_usec minus uptime).';

function family(name: string, type: Family['type'], help: string, samples: Sample[] = []): Family {
  return { name, type, help, samples };
}

function scalarFamilies(info: Info, out: Family[]): void {
  for (const { name, candidates } of SCALARS_BY_NAME) {
    for (const metric of candidates) {
      const raw = info.fields.get(metric.field);
      if (raw === undefined) continue;
      const value = metric.convert ? metric.convert(raw) : toNumber(raw);
      if (value === undefined) continue;
      out.push(family(name, metric.type, metric.help, [{ value }]));
      break;
    }
  }
}

function replicationFamilies(info: Info, view: ReplicationView, out: Family[]): void {
  if (info.fields.has('role')) {
    out.push(
      family('redis_replication_role', 'gauge', 'Replication role: 1 on a primary, 0 on a replica.', [
        { value: view.role === 'primary' ? 1 : 0 },
      ]),
    );
  }
  if (view.offset !== undefined) {
    out.push(
      family(
        'redis_replication_offset',
        'gauge',
        'Replication offset of this node, in bytes (on a replica: processed from its primary).',
        [{ value: view.offset }],
      ),
    );
  }
  const { link } = view;
  if (link) {
    const labels = { primary_host: link.host ?? '', primary_port: link.port === undefined ? '' : String(link.port) };
    out.push(
      family('redis_replica_info', 'gauge', 'Always 1 on a replica; labels name its primary.', [{ labels, value: 1 }]),
    );
    out.push(
      family('redis_master_link_up', 'gauge', '1 when the link to the primary is up.', [{ value: link.up ? 1 : 0 }]),
    );
    // Lag is only known while the link is up; a down link is its own alert.
    if (link.up && link.lastIoSecondsAgo !== null) {
      out.push(
        family(
          'redis_replica_lag_seconds',
          'gauge',
          'Seconds since this replica last heard from its primary (while the link is up).',
          [{ value: link.lastIoSecondsAgo }],
        ),
      );
    }
    const replOffset = toNumber(info.fields.get('slave_repl_offset'));
    if (replOffset !== undefined) {
      out.push(
        family(
          'redis_replica_repl_offset',
          'gauge',
          'Replication offset this replica has processed from its primary.',
          [{ value: replOffset }],
        ),
      );
    }
  }
  connectedReplicaFamilies(info, view.replicas, out);
}

function connectedReplicaFamilies(info: Info, replicas: readonly ConnectedReplica[], out: Family[]): void {
  if (!info.sections.has('replication')) return;
  // What this node has produced for its replicas (on a replica with replicas of its own too).
  const producedOffset = toNumber(info.fields.get('master_repl_offset'));
  const offsets = family(
    'redis_connected_replica_offset_bytes',
    'gauge',
    'Replication offset a connected replica has acknowledged.',
  );
  const lagBytes = family(
    'redis_connected_replica_lag_bytes',
    'gauge',
    'Bytes a connected replica is behind this primary (master_repl_offset minus its offset).',
  );
  const ackLag = family(
    'redis_connected_replica_ack_lag_seconds',
    'gauge',
    'Seconds since a connected replica last acknowledged.',
  );
  const state = family(
    'redis_connected_replica_state',
    'gauge',
    'State of a connected replica: 1 for its current state, 0 for the others.',
  );
  for (const replica of replicas) {
    const labels = { replica_ip: replica.host, replica_port: String(replica.port) };
    offsets.samples.push({ labels, value: replica.offset });
    if (producedOffset !== undefined) {
      lagBytes.samples.push({ labels, value: Math.max(0, producedOffset - replica.offset) });
    }
    if (replica.lag !== undefined) ackLag.samples.push({ labels, value: replica.lag });
    const current = replica.state;
    const states: readonly string[] = (REPLICA_STATES as readonly string[]).includes(current)
      ? REPLICA_STATES
      : [...REPLICA_STATES, current];
    for (const s of states) state.samples.push({ labels: { ...labels, state: s }, value: s === current ? 1 : 0 });
  }
  out.push(offsets, lagBytes, ackLag, state);
}

/** redis_instance_info's labels, kept while they stay the same. */
const instanceLabels = lastSet();

function serverFamilies(info: Info, view: ReplicationView, out: Family[]): void {
  const version = info.fields.get('redis_version');
  const labels: Record<string, string> = {
    role: view.role,
    version: version ?? '',
    mode: info.fields.get('redis_mode') ?? info.fields.get('server_mode') ?? '',
    run_id: info.fields.get('run_id') ?? '',
  };
  const valkey = info.fields.get('valkey_version');
  if (valkey !== undefined) labels.valkey_version = valkey;
  out.push(
    family(
      'redis_instance_info',
      'gauge',
      'Always 1; labels carry the role, version, mode and run id of redis-server.',
      [{ labels: instanceLabels(labels), value: 1 }],
    ),
  );
  const uptime = toNumber(info.fields.get('uptime_in_seconds'));
  const nowUsec = toNumber(info.fields.get('server_time_usec'));
  if (uptime !== undefined && nowUsec !== undefined) {
    out.push(
      family('redis_start_time_seconds', 'gauge', START_TIME_HELP, [{ value: Math.round(nowUsec / 1e6 - uptime) }]),
    );
  }
}

/** `db0:keys=1,expires=0,avg_ttl=0[,subexpiry=0]`, read by field name. */
function keyspaceFamilies(info: Info, out: Family[]): void {
  const keys = family('redis_db_keys', 'gauge', 'Keys in a database.');
  const expiring = family('redis_db_keys_expiring', 'gauge', 'Keys with an expiry in a database.');
  const ttl = family(
    'redis_db_avg_ttl_seconds',
    'gauge',
    'Average time to live of the keys with an expiry in a database, in seconds (estimate).',
  );
  const subexpiry = family(
    'redis_db_keys_with_expiring_fields',
    'gauge',
    'Keys with hash fields that expire, in a database (Redis 7.4+).',
  );
  for (const { name, fields: kv } of keyspace(info)) {
    const labels = dbLabels(name);
    push(keys, labels, toNumber(kv.get('keys')));
    push(expiring, labels, toNumber(kv.get('expires')));
    const avgTtl = toNumber(kv.get('avg_ttl'));
    push(ttl, labels, avgTtl === undefined ? undefined : avgTtl / 1000);
    push(subexpiry, labels, toNumber(kv.get('subexpiry')));
  }
  out.push(keys, expiring, ttl, subexpiry);
}

function push(target: Family, labels: Labels, value: number | undefined, suffix?: string): void {
  if (value !== undefined) target.samples.push(suffix === undefined ? { labels, value } : { suffix, labels, value });
}

/** `99.9` (of `p99.9`) → `0.999` (plain p / 100 would say 0.9990000000000001); undefined when not a number. */
export const quantile = remembered((percentile) => {
  const p = toNumber(percentile);
  return p === undefined ? undefined : String(Number((p / 100).toPrecision(12)));
});

/** `cmdstat_config|get:calls=…,usec=…,…` and `latency_percentiles_usec_get:p50=…,p99=…`. */
function commandFamilies(info: Info, out: Family[]): void {
  const calls = family(
    'redis_commands_total',
    'counter',
    'Calls of a command (cmd label; subcommands as container|sub).',
  );
  const duration = family('redis_commands_duration_seconds_total', 'counter', 'Time spent in a command, in seconds.');
  const rejected = family(
    'redis_commands_rejected_calls_total',
    'counter',
    'Calls of a command refused before running (unknown, ACL, OOM, ...).',
  );
  const failed = family('redis_commands_failed_calls_total', 'counter', 'Calls of a command that ran and failed.');
  const stats = commandStats(info);
  for (const [cmd, stat] of stats) {
    const labels = cmdLabels(cmd);
    push(calls, labels, stat.calls);
    push(duration, labels, stat.usec === undefined ? undefined : stat.usec / 1e6);
    push(rejected, labels, stat.rejectedCalls);
    push(failed, labels, stat.failedCalls);
  }
  out.push(calls, duration, rejected, failed);

  const latency = family(
    'redis_command_latency_seconds',
    'summary',
    'Latency percentiles of a command, in seconds, as Redis tracks them (latency-tracking).',
  );
  for (const { cmd, percentiles } of latencyStats(info)) {
    for (const [percentile, usec] of percentiles) {
      const q = quantile(percentile);
      const v = toNumber(usec);
      if (q === undefined || v === undefined) continue;
      latency.samples.push({ labels: quantileLabels(cmd, q), value: v / 1e6 });
    }
    const stat = stats.get(cmd);
    if (stat?.calls !== undefined && stat.usec !== undefined) {
      const labels = cmdLabels(cmd);
      latency.samples.push({ suffix: '_sum', labels, value: stat.usec / 1e6 });
      latency.samples.push({ suffix: '_count', labels, value: stat.calls });
    }
  }
  out.push(latency);

  const errors = family(
    'redis_errors_total',
    'counter',
    'Error replies by error prefix (err label, e.g. ERR, WRONGTYPE).',
  );
  for (const [key, value] of info.sections.get('errorstats') ?? []) {
    if (!key.startsWith('errorstat_')) continue;
    push(errors, errLabels(key.slice('errorstat_'.length)), toNumber(keyValue(value, 'count')));
  }
  out.push(errors);
}

/** Every Redis family INFO gives. Throws InfoParseError when the text is not INFO. */
export function redisFamilies(info: Info): Family[] {
  if (!info.fields.has('redis_version') && !info.fields.has('valkey_version')) {
    throw new InfoParseError('the INFO reply has no redis_version field');
  }
  const out: Family[] = [];
  const view = replicationView(info);
  serverFamilies(info, view, out);
  scalarFamilies(info, out);
  replicationFamilies(info, view, out);
  keyspaceFamilies(info, out);
  commandFamilies(info, out);
  return out;
}
