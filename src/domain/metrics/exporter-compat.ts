// `--metrics-compat redis_exporter`: the families prometheus-redis-exporter 1.45 emits for the
// same Redis, with its names, types, label names, label values and units, so dashboards and
// alerts written for the exporter work unchanged. Built from the same parsed INFO as our own
// families (one INFO per scrape) plus the small reads the exporter also makes (CONFIG GET,
// cached; SLOWLOG; LATENCY LATEST), see exporter-compat-reads.ts. Pure.
//
// Names the exporter shares with us are decided one by one, so that the exposition keeps one
// HELP/TYPE per family and our own dashboards and rules keep working in compat mode too:
//   - shared: our family already is the exporter's (same name, type, labels and values),
//     nothing is added (e.g. redis_connected_clients, redis_commands_total, redis_errors_total);
//   - reshaped: ours takes the exporter's shape in compat mode, which is a superset of ours:
//     redis_db_keys and redis_db_keys_expiring gain a 0 for every empty configured database;
//     redis_master_link_up, redis_master_last_io_seconds_ago and redis_master_sync_in_progress
//     gain the exporter's master_host/master_port labels; redis_instance_info carries both
//     label vocabularies on one series (joins and counts keep working for both), with `role`
//     in the exporter's words (master/slave: the community alerts count
//     redis_instance_info{role="master"}); our role stays in redis_replication_role;
//   - one type differs and ours is kept: redis_expired_time_cap_reached_total is a counter here
//     (it counts) and a gauge in the exporter; PromQL does not read TYPE, the samples are equal.
// Every other exporter family has a name we do not use and is added. The table of families
// is exporter-compat-table.ts.
import { commandStats, isReplica, keyspace, latencyStats, parseKeyValues, type Info } from '../../redis/info.js';
import {
  ADDED_SCALARS,
  CONFIG_FAMILIES,
  configFamilyName,
  exporterHelp,
  exporterValue,
  RESHAPED,
  scalarValue,
} from './exporter-compat-table.js';
import type { Family, Labels, MetricType, Sample } from './exposition.js';
import { cmdLabels, dbLabels, lastSet, quantileLabels } from './label-sets.js';
import { remembered } from './memo.js';

/** What compat mode reads besides INFO. `undefined`: not read, or Redis refused it. */
export interface CompatReads {
  /** CONFIG GET values by parameter name (databases, maxclients, maxmemory, io-threads). */
  config: ReadonlyMap<string, number> | undefined;
  /** SLOWLOG LEN and the newest entry of SLOWLOG GET 1. */
  slowlog: { length: number; lastId: number; lastDurationSeconds: number } | undefined;
  /** LATENCY LATEST: one entry per event. */
  latency: readonly LatencyEvent[] | undefined;
  /** The manager's clock, in ms: the exporter's start time where Redis (< 6.2) does not tell its own. */
  now: number;
}

export interface LatencyEvent {
  event: string;
  /** Unix time of the event's latest spike. */
  lastTimestamp: number;
  latestSeconds: number;
}

function family(name: string, type: MetricType, samples: Sample[], helpText = exporterHelp(name)): Family {
  return { name, type, help: helpText, samples };
}

/** Bounds the padding: `databases 100000` would otherwise mean 200,000 series of zeros. */
const MAX_PADDED_DATABASES = 1024;

/** The exporter's `CONFIG GET databases` padding: 1 in cluster mode, 16 when CONFIG is refused. */
function databaseCount(info: Info, config: CompatReads['config']): number {
  if (info.fields.get('cluster_enabled') === '1') return 1;
  return Math.min(config?.get('databases') ?? 16, MAX_PADDED_DATABASES);
}

/** One series with both label vocabularies: ours first, then the exporter's (its role wins). */
function instanceInfoSamples(info: Info, native: Family | undefined): Sample[] {
  const f = info.fields;
  const labels: Record<string, string> = {};
  for (const sample of native?.samples ?? []) Object.assign(labels, sample.labels);
  labels.role = f.get('role') ?? '';
  labels.redis_version = f.get('redis_version') ?? '';
  labels.redis_build_id = f.get('redis_build_id') ?? '';
  labels.redis_mode = f.get('redis_mode') ?? '';
  labels.os = f.get('os') ?? '';
  labels.maxmemory_policy = f.get('maxmemory_policy') ?? '';
  labels.tcp_port = f.get('tcp_port') ?? '';
  labels.run_id = f.get('run_id') ?? '';
  labels.process_id = f.get('process_id') ?? '';
  return [{ labels: instanceLabels(labels), value: 1 }];
}

/** Its labels, kept while they stay the same. */
const instanceLabels = lastSet();

/** `{db="db<i>"}` by index, up to the padding's bound: padding 16 databases named and looked up 32 names. */
const paddedLabels: Labels[] = [];

/** `{db="db<i>"}`, the label of a padded database (label-sets.ts keeps one object per set). */
const dbIndexLabels = (i: number): Labels =>
  i < MAX_PADDED_DATABASES ? (paddedLabels[i] ??= dbLabels(`db${i}`)) : dbLabels(`db${i}`);

/** Keyspace lines read by position, as the exporter does; padded with 0 for empty databases. */
function keyspaceFamilies(info: Info, reads: CompatReads, natives: Map<string, Family>): Family[] {
  const keys = new Map<number, number>();
  const expiring = new Map<number, number>();
  const cached: Sample[] = [];
  for (const db of keyspace(info)) {
    const values = [...db.fields.values()].map(exporterValue);
    if (values.length < 2 || values.length > 4 || values.some((v) => v === undefined)) continue;
    const index = Number(db.name.slice(2));
    keys.set(index, values[0]!);
    expiring.set(index, values[1]!);
    if (values.length === 4) cached.push({ labels: dbLabels(db.name), value: values[3]! });
  }
  // Every database the exporter pads (CONFIG databases), and any other that has keys.
  const count = databaseCount(info, reads.config);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(i);
  for (const i of keys.keys()) if (i >= count) indexes.push(i);
  const labels = indexes.map(dbIndexLabels);
  const padded = (values: Map<number, number>): Sample[] =>
    indexes.map((i, at) => ({ labels: labels[at], value: values.get(i) ?? 0 }));
  const out = [
    ...reshape(natives, 'redis_db_keys', padded(keys)),
    ...reshape(natives, 'redis_db_keys_expiring', padded(expiring)),
  ];
  if (cached.length > 0) out.push(family('redis_db_keys_cached', 'gauge', cached));
  return out;
}

/**
 * Our family of that name with the exporter's samples. HELP and TYPE stay ours: a name has one
 * HELP/TYPE whatever the mode (the renderer caches them by name). Nothing when we have no such
 * family in this scrape: there is nothing to reshape.
 */
function reshape(natives: Map<string, Family>, name: string, samples: Sample[]): Family[] {
  const native = natives.get(name);
  return native ? [{ ...native, samples }] : [];
}

function replicationFamilies(info: Info, natives: Map<string, Family>): Family[] {
  const f = info.fields;
  const out: Family[] = [];
  if (isReplica(info)) {
    const master: Labels = { master_host: f.get('master_host') ?? '', master_port: f.get('master_port') ?? '' };
    out.push(
      family('redis_slave_info', 'gauge', [
        { labels: { ...master, read_only: f.get('slave_read_only') ?? '' }, value: 1 },
      ]),
    );
    const link = f.get('master_link_status');
    if (link !== undefined) {
      out.push(...reshape(natives, 'redis_master_link_up', [{ labels: master, value: link === 'up' ? 1 : 0 }]));
    }
    for (const [field, name] of [
      ['master_last_io_seconds_ago', 'redis_master_last_io_seconds_ago'],
      ['master_sync_in_progress', 'redis_master_sync_in_progress'],
      ['slave_repl_offset', 'redis_slave_repl_offset'],
    ] as const) {
      const raw = f.get(field);
      if (raw === undefined) continue;
      // The exporter reads these with Atoi: anything but an integer is 0.
      const value = /^-?\d+$/.test(raw.trim()) ? Number(raw) : 0;
      const samples = [{ labels: master, value }];
      if (name === 'redis_slave_repl_offset') out.push(family(name, 'gauge', samples));
      else out.push(...reshape(natives, name, samples));
    }
  }
  const offsets = family('redis_connected_slave_offset_bytes', 'gauge', []);
  const lags = family('redis_connected_slave_lag_seconds', 'gauge', []);
  for (const [key, value] of info.sections.get('replication') ?? []) {
    if (!/^slave\d+$/.test(key)) continue;
    const kv = parseKeyValues(value);
    const offset = exporterValue(kv.get('offset') ?? '');
    if (offset === undefined) continue;
    const labels = {
      slave_ip: kv.get('ip') ?? '',
      slave_port: kv.get('port') ?? '',
      slave_state: kv.get('state') ?? '',
    };
    offsets.samples.push({ labels, value: offset });
    const lag = kv.get('lag');
    const lagValue = lag === undefined ? undefined : exporterValue(lag);
    if (lagValue !== undefined && lagValue > -1) lags.samples.push({ labels, value: lagValue });
  }
  out.push(offsets, lags);
  return out;
}

/** The exporter's quantile label by the text after `p` (`99.9` → `99.9`). */
const exporterQuantile = remembered((text) => {
  const n = exporterValue(text);
  return n === undefined ? undefined : String(n);
});

/**
 * `latency_percentiles_usec_<cmd>:p50=…,p99=…` with count and sum (µs) from commandstats. The
 * exporter reads calls and usec as a cmdstat line's first two fields; every Redis writes them
 * first, so reading them by name (as our own families do) gives the same numbers.
 */
function latencySummary(info: Info): Family {
  const summary = family('redis_latency_percentiles_usec', 'summary', []);
  const stats = commandStats(info);
  for (const { cmd, percentiles } of latencyStats(info)) {
    const stat = stats.get(cmd);
    if (stat?.calls === undefined || stat.usec === undefined) continue;
    for (const [percentile, text] of percentiles) {
      const q = exporterQuantile(percentile);
      const v = exporterValue(text);
      if (q !== undefined && v !== undefined) summary.samples.push({ labels: quantileLabels(cmd, q), value: v });
    }
    const labels = cmdLabels(cmd);
    summary.samples.push({ suffix: '_sum', labels, value: stat.usec });
    summary.samples.push({ suffix: '_count', labels, value: stat.calls });
  }
  return summary;
}

/** The redis_config_* families by parameter, named once rather than at each scrape. */
const CONFIG_OUT = CONFIG_FAMILIES.map(({ parameter }) => ({ parameter, name: configFamilyName(parameter) }));

function readFamilies(reads: CompatReads): Family[] {
  const out: Family[] = [];
  for (const { parameter, name } of CONFIG_OUT) {
    const value = reads.config?.get(parameter);
    if (value !== undefined) out.push(family(name, 'gauge', [{ value }]));
  }
  if (reads.slowlog) {
    out.push(
      family('redis_slowlog_length', 'gauge', [{ value: reads.slowlog.length }]),
      family('redis_slowlog_last_id', 'gauge', [{ value: reads.slowlog.lastId }]),
      family('redis_last_slow_execution_duration_seconds', 'gauge', [{ value: reads.slowlog.lastDurationSeconds }]),
    );
  }
  if (reads.latency) {
    const last = family('redis_latency_spike_last', 'gauge', []);
    const duration = family('redis_latency_spike_duration_seconds', 'gauge', []);
    for (const e of reads.latency) {
      last.samples.push({ labels: { event_name: e.event }, value: e.lastTimestamp });
      duration.samples.push({ labels: { event_name: e.event }, value: e.latestSeconds });
    }
    out.push(last, duration);
  }
  return out;
}

/**
 * The Redis families to expose in compat mode: ours, the shared names reshaped, then the
 * exporter's other families. One family per name.
 */
export function withExporterFamilies(info: Info, native: readonly Family[], reads: CompatReads): Family[] {
  const natives = new Map<string, Family>();
  let startTime = false;
  for (const f of native) {
    if (RESHAPED.has(f.name)) natives.set(f.name, f);
    else if (f.name === 'redis_start_time_seconds') startTime = true;
  }
  const replaced = new Map<string, Family>();
  const added: Family[] = [];
  const take = (families: Family[]) => {
    for (const f of families) {
      if (natives.has(f.name)) replaced.set(f.name, f);
      else added.push(f);
    }
  };
  take(reshape(natives, 'redis_instance_info', instanceInfoSamples(info, natives.get('redis_instance_info'))));
  for (const s of ADDED_SCALARS) {
    const raw = info.fields.get(s.field);
    const value = raw === undefined ? undefined : scalarValue(s, raw);
    if (value !== undefined) added.push({ name: s.name, type: s.type, help: s.help, samples: [{ value }] });
  }
  take(replicationFamilies(info, natives));
  take(keyspaceFamilies(info, reads, natives));
  take([latencySummary(info)]);
  take(readFamilies(reads));
  const uptime = exporterValue(info.fields.get('uptime_in_seconds') ?? '');
  if (!startTime && uptime !== undefined) {
    // Ours needs server_time_usec (Redis 6.2+); the exporter takes its own clock.
    added.push(family('redis_start_time_seconds', 'gauge', [{ value: Math.floor(reads.now / 1000) - uptime }]));
  }
  return [...(replaced.size === 0 ? native : native.map((f) => replaced.get(f.name) ?? f)), ...added];
}
