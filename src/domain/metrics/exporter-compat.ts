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
// Every other exporter family has a name we do not use and is added.
import { isReplica, keyspace, parseKeyValues, type Info } from '../../redis/info.js';
import type { Family, Labels, MetricType, Sample } from './exposition.js';
import { START_TIME_HELP } from './info-families.js';
import { SCALAR_METRICS, type ScalarMetric } from './info-scalars.js';

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

/** The CONFIG GET parameters the exporter turns into redis_config_* (databases pads redis_db_keys). */
export const CONFIG_PARAMETERS = ['databases', 'maxclients', 'maxmemory', 'io-threads'] as const;
const CONFIG_FAMILIES: readonly { parameter: (typeof CONFIG_PARAMETERS)[number]; native: string | null }[] = [
  { parameter: 'maxclients', native: 'redis_max_clients' },
  { parameter: 'maxmemory', native: 'redis_maxmemory_bytes' },
  { parameter: 'io-threads', native: null },
];

export type Treatment = 'shared' | 'reshaped' | 'added';
export type Source = 'INFO' | 'CONFIG GET' | 'SLOWLOG' | 'LATENCY LATEST';

/** One family of the exporter as compat mode provides it; also the migration table's row. */
export interface ExporterFamily {
  name: string;
  type: MetricType;
  labels: readonly string[];
  treatment: Treatment;
  source: Source;
  /** Our family with the same information (for moving to native names), or null. */
  native: string | null;
  /** How ours differs from the exporter's, for the migration; '' when only the name does. */
  note: string;
}

// ---------------------------------------------------------------------------------------
// Scalar INFO fields: the exporter's metricMapGauges/metricMapCounters (1.45), field by field.
// KeyDB- and Tile38-only fields are left out (the manager runs Redis and Valkey).

interface ExporterScalar {
  field: string;
  name: string;
  type: MetricType;
  /** For the migration, where our counterpart is not the same field's scalar (or there is none). */
  native?: { name: string | null; note: string };
}

type Native = ExporterScalar['native'];
const g = (field: string, name: string, native?: Native): ExporterScalar => ({
  field,
  name: `redis_${name}`,
  type: 'gauge',
  native,
});
const c = (field: string, name: string): ExporterScalar => ({ field, name: `redis_${name}`, type: 'counter' });
const OLD_REDIS = { name: null, note: 'Redis 4 field; Redis 5+ has client_recent_max_*' };
const NOT_OSS = { name: null, note: 'not in open-source Redis or Valkey' };

const EXPORTER_SCALARS: readonly ExporterScalar[] = [
  // Server
  g('uptime_in_seconds', 'uptime_in_seconds'),
  g('process_id', 'process_id'),
  g('io_threads_active', 'io_threads_active'),
  // Clients
  g('connected_clients', 'connected_clients'),
  g('blocked_clients', 'blocked_clients'),
  g('tracking_clients', 'tracking_clients'),
  g('clients_in_timeout_table', 'clients_in_timeout_table'),
  g('client_longest_output_list', 'client_longest_output_list', OLD_REDIS),
  g('client_biggest_input_buf', 'client_biggest_input_buf', OLD_REDIS),
  g('client_recent_max_output_buffer', 'client_recent_max_output_buffer_bytes'),
  g('client_recent_max_input_buffer', 'client_recent_max_input_buffer_bytes'),
  g('cluster_connections', 'cluster_connections'),
  // Memory
  g('allocator_active', 'allocator_active_bytes'),
  g('allocator_allocated', 'allocator_allocated_bytes'),
  g('allocator_resident', 'allocator_resident_bytes'),
  g('allocator_frag_ratio', 'allocator_frag_ratio'),
  g('allocator_frag_bytes', 'allocator_frag_bytes'),
  g('allocator_rss_ratio', 'allocator_rss_ratio'),
  g('allocator_rss_bytes', 'allocator_rss_bytes'),
  g('used_memory', 'memory_used_bytes'),
  g('used_memory_rss', 'memory_used_rss_bytes'),
  g('used_memory_peak', 'memory_used_peak_bytes'),
  g('used_memory_lua', 'memory_used_lua_bytes'),
  g('used_memory_overhead', 'memory_used_overhead_bytes'),
  g('used_memory_startup', 'memory_used_startup_bytes'),
  g('used_memory_dataset', 'memory_used_dataset_bytes'),
  g('used_memory_scripts', 'memory_used_scripts_bytes'),
  g('maxmemory', 'memory_max_bytes'),
  g('maxmemory_reservation', 'memory_max_reservation_bytes', NOT_OSS),
  g('maxmemory_desired_reservation', 'memory_max_reservation_desired_bytes', NOT_OSS),
  g('maxfragmentationmemory_reservation', 'memory_max_fragmentation_reservation_bytes', NOT_OSS),
  g('maxfragmentationmemory_desired_reservation', 'memory_max_fragmentation_reservation_desired_bytes', NOT_OSS),
  g('mem_fragmentation_ratio', 'mem_fragmentation_ratio'),
  g('mem_fragmentation_bytes', 'mem_fragmentation_bytes'),
  g('mem_clients_slaves', 'mem_clients_slaves'),
  g('mem_clients_normal', 'mem_clients_normal'),
  g('mem_not_counted_for_evict', 'mem_not_counted_for_eviction_bytes'),
  g('lazyfree_pending_objects', 'lazyfree_pending_objects'),
  g('active_defrag_running', 'active_defrag_running'),
  g('number_of_cached_scripts', 'number_of_cached_scripts'),
  // Persistence
  g('loading', 'loading_dump_file'),
  g('rdb_changes_since_last_save', 'rdb_changes_since_last_save'),
  g('rdb_bgsave_in_progress', 'rdb_bgsave_in_progress'),
  g('rdb_last_save_time', 'rdb_last_save_timestamp_seconds'),
  g('rdb_last_bgsave_status', 'rdb_last_bgsave_status'),
  g('rdb_last_bgsave_time_sec', 'rdb_last_bgsave_duration_sec'),
  g('rdb_current_bgsave_time_sec', 'rdb_current_bgsave_duration_sec'),
  g('rdb_last_cow_size', 'rdb_last_cow_size_bytes'),
  g('aof_enabled', 'aof_enabled'),
  g('aof_rewrite_in_progress', 'aof_rewrite_in_progress'),
  g('aof_rewrite_scheduled', 'aof_rewrite_scheduled'),
  g('aof_last_rewrite_time_sec', 'aof_last_rewrite_duration_sec'),
  g('aof_current_rewrite_time_sec', 'aof_current_rewrite_duration_sec'),
  g('aof_last_cow_size', 'aof_last_cow_size_bytes'),
  g('aof_current_size', 'aof_current_size_bytes'),
  g('aof_base_size', 'aof_base_size_bytes'),
  g('aof_pending_rewrite', 'aof_pending_rewrite'),
  g('aof_buffer_length', 'aof_buffer_length'),
  g('aof_rewrite_buffer_length', 'aof_rewrite_buffer_length', { name: null, note: 'Redis < 7 only' }),
  g('aof_pending_bio_fsync', 'aof_pending_bio_fsync'),
  g('aof_delayed_fsync', 'aof_delayed_fsync'),
  g('aof_last_bgrewrite_status', 'aof_last_bgrewrite_status'),
  g('aof_last_write_status', 'aof_last_write_status'),
  g('module_fork_in_progress', 'module_fork_in_progress'),
  g('module_fork_last_cow_size', 'module_fork_last_cow_size'),
  // Stats
  c('total_connections_received', 'connections_received_total'),
  c('total_commands_processed', 'commands_processed_total'),
  c('rejected_connections', 'rejected_connections_total'),
  c('total_net_input_bytes', 'net_input_bytes_total'),
  c('total_net_output_bytes', 'net_output_bytes_total'),
  c('expired_keys', 'expired_keys_total'),
  c('evicted_keys', 'evicted_keys_total'),
  c('keyspace_hits', 'keyspace_hits_total'),
  c('keyspace_misses', 'keyspace_misses_total'),
  g('expired_stale_perc', 'expired_stale_percentage'),
  g('expired_time_cap_reached_count', 'expired_time_cap_reached_total'),
  g('pubsub_channels', 'pubsub_channels'),
  g('pubsub_patterns', 'pubsub_patterns'),
  g('latest_fork_usec', 'latest_fork_seconds'),
  g('migrate_cached_sockets', 'migrate_cached_sockets_total'),
  g('active_defrag_hits', 'defrag_hits'),
  g('active_defrag_misses', 'defrag_misses'),
  g('active_defrag_key_hits', 'defrag_key_hits'),
  g('active_defrag_key_misses', 'defrag_key_misses'),
  g('tracking_total_keys', 'tracking_total_keys'),
  g('tracking_total_items', 'tracking_total_items'),
  g('tracking_total_prefixes', 'tracking_total_prefixes'),
  c('unexpected_error_replies', 'unexpected_error_replies'),
  c('total_error_replies', 'total_error_replies'),
  c('dump_payload_sanitizations', 'dump_payload_sanitizations'),
  c('total_reads_processed', 'total_reads_processed'),
  c('total_writes_processed', 'total_writes_processed'),
  c('io_threaded_reads_processed', 'io_threaded_reads_processed'),
  c('io_threaded_writes_processed', 'io_threaded_writes_processed'),
  // Replication
  g('connected_slaves', 'connected_slaves'),
  g('repl_backlog_size', 'replication_backlog_bytes'),
  g('repl_backlog_active', 'repl_backlog_is_active'),
  g('repl_backlog_first_byte_offset', 'repl_backlog_first_byte_offset'),
  g('repl_backlog_histlen', 'repl_backlog_history_bytes'),
  g('master_repl_offset', 'master_repl_offset', {
    name: 'redis_replication_offset',
    note: "on a replica ours is the offset processed from its primary (INFO's slave_repl_offset)",
  }),
  g('second_repl_offset', 'second_repl_offset'),
  g('slave_expires_tracked_keys', 'slave_expires_tracked_keys'),
  g('slave_priority', 'slave_priority'),
  g('sync_full', 'replica_resyncs_full'),
  g('sync_partial_ok', 'replica_partial_resync_accepted'),
  g('sync_partial_err', 'replica_partial_resync_denied'),
  // CPU
  c('used_cpu_sys', 'cpu_sys_seconds_total'),
  c('used_cpu_user', 'cpu_user_seconds_total'),
  c('used_cpu_sys_children', 'cpu_sys_children_seconds_total'),
  c('used_cpu_user_children', 'cpu_user_children_seconds_total'),
  c('used_cpu_sys_main_thread', 'cpu_sys_main_thread_seconds_total'),
  c('used_cpu_user_main_thread', 'cpu_user_main_thread_seconds_total'),
  // Cluster (the exporter takes every cluster_* field of INFO under its own name)
  g('cluster_enabled', 'cluster_enabled'),
];

/** The exporter's reading of an INFO value: ok/true → 1, err/fail/false → 0, else the number. */
export function exporterValue(raw: string): number | undefined {
  if (raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isNaN(n)) return n;
  if (raw === 'ok' || raw === 'true') return 1;
  if (raw === 'err' || raw === 'fail' || raw === 'false') return 0;
  return undefined;
}

function scalarValue(s: Pick<ExporterScalar, 'field'>, raw: string): number | undefined {
  const v = exporterValue(raw);
  // The one unit the exporter converts: latest_fork_usec becomes latest_fork_seconds.
  return v !== undefined && s.field === 'latest_fork_usec' ? v / 1e6 : v;
}

const NATIVE_BY_FIELD: ReadonlyMap<string, ScalarMetric> = (() => {
  const byField = new Map<string, ScalarMetric>();
  for (const m of SCALAR_METRICS) if (!byField.has(m.field)) byField.set(m.field, m);
  return byField;
})();

/**
 * native value = exporter value × factor, read off our conversion. Ok/err fields convert
 * alike on both sides; the others are pure scalings (or none).
 */
export function nativeFactor(s: Pick<ExporterScalar, 'field'>, native: ScalarMetric): number {
  if (!native.convert) return 1;
  if (native.convert('ok') === 1 && native.convert('err') === 0) return 1;
  const scaled = native.convert('1000');
  return scaled === undefined ? 1 : Number((scaled / (scalarValue(s, '1000') ?? 1)).toPrecision(12));
}

interface CompiledScalar extends Omit<ExporterScalar, 'native'> {
  native: ScalarMetric | undefined;
  override: Native;
  /** Our family of the same name serves it (name, field and samples equal). */
  shared: boolean;
  help: string;
}

const SCALARS: readonly CompiledScalar[] = EXPORTER_SCALARS.map(({ native: override, ...s }) => {
  const native = NATIVE_BY_FIELD.get(s.field);
  const shared = native?.name === s.name;
  let help = `INFO field ${s.field}, as redis_exporter 1.45 exposes it.`;
  if (native && !shared) {
    const factor = nativeFactor(s, native);
    // ASCII only: an all-ASCII exposition is encoded on the fast path (metrics.ts encode()).
    help = `${native.help} redis_exporter's name for ${native.name}${factor === 1 ? '' : ` (which is this times ${factor})`}.`;
  }
  return { ...s, native, override, shared, help };
});

// ---------------------------------------------------------------------------------------
// Families built from structured INFO lines and the extra reads.

const INSTANCE_INFO_LABELS = [
  'role',
  'redis_version',
  'redis_build_id',
  'redis_mode',
  'os',
  'maxmemory_policy',
  'tcp_port',
  'run_id',
  'process_id',
] as const;
const MASTER_LABELS = ['master_host', 'master_port'] as const;
const SLAVE_LABELS = ['slave_ip', 'slave_port', 'slave_state'] as const;

interface Structured extends Omit<ExporterFamily, 'native' | 'note'> {
  help: string;
  native: string | null;
  note?: string;
}

const STRUCTURED: readonly Structured[] = [
  {
    name: 'redis_instance_info',
    type: 'gauge',
    labels: INSTANCE_INFO_LABELS,
    treatment: 'reshaped',
    source: 'INFO',
    help: '',
    native: 'redis_instance_info',
    note: 'ours has role primary/replica, version, mode, run_id; the role as a number is redis_replication_role',
  },
  {
    name: 'redis_start_time_seconds',
    type: 'gauge',
    labels: [],
    treatment: 'shared',
    source: 'INFO',
    help: START_TIME_HELP,
    native: 'redis_start_time_seconds',
    note: 'compat mode adds it on Redis < 6.2 (no server_time_usec), from the manager clock as the exporter does',
  },
  {
    name: 'redis_slave_info',
    type: 'gauge',
    labels: [...MASTER_LABELS, 'read_only'],
    treatment: 'added',
    source: 'INFO',
    help: 'Always 1 on a replica; labels name its primary and whether it refuses writes.',
    native: 'redis_replica_info',
    note: 'labels primary_host, primary_port; read_only is redis_replica_read_only',
  },
  {
    name: 'redis_master_link_up',
    type: 'gauge',
    labels: MASTER_LABELS,
    treatment: 'reshaped',
    source: 'INFO',
    help: '',
    native: 'redis_master_link_up',
    note: 'ours has no labels (the primary is named by redis_replica_info)',
  },
  {
    name: 'redis_master_last_io_seconds_ago',
    type: 'gauge',
    labels: MASTER_LABELS,
    treatment: 'reshaped',
    source: 'INFO',
    help: '',
    native: 'redis_master_last_io_seconds_ago',
    note: 'ours has no labels; redis_replica_lag_seconds is the same while the link is up',
  },
  {
    name: 'redis_master_sync_in_progress',
    type: 'gauge',
    labels: MASTER_LABELS,
    treatment: 'reshaped',
    source: 'INFO',
    help: '',
    native: 'redis_master_sync_in_progress',
    note: 'ours has no labels',
  },
  {
    name: 'redis_slave_repl_offset',
    type: 'gauge',
    labels: MASTER_LABELS,
    treatment: 'added',
    source: 'INFO',
    help: 'Replication offset this replica has processed from its primary (labels name the primary).',
    native: 'redis_replica_repl_offset',
    note: 'no labels',
  },
  {
    name: 'redis_connected_slave_offset_bytes',
    type: 'gauge',
    labels: SLAVE_LABELS,
    treatment: 'added',
    source: 'INFO',
    help: 'Replication offset a connected replica has acknowledged.',
    native: 'redis_connected_replica_offset_bytes',
    note: 'labels replica_ip, replica_port; the state is redis_connected_replica_state',
  },
  {
    name: 'redis_connected_slave_lag_seconds',
    type: 'gauge',
    labels: SLAVE_LABELS,
    treatment: 'added',
    source: 'INFO',
    help: 'Seconds since a connected replica last acknowledged.',
    native: 'redis_connected_replica_ack_lag_seconds',
    note: 'labels replica_ip, replica_port',
  },
  {
    name: 'redis_db_keys',
    type: 'gauge',
    labels: ['db'],
    treatment: 'reshaped',
    source: 'INFO',
    help: '',
    native: 'redis_db_keys',
    note: 'ours has no series for an empty database (sum them with `or vector(0)`)',
  },
  {
    name: 'redis_db_keys_expiring',
    type: 'gauge',
    labels: ['db'],
    treatment: 'reshaped',
    source: 'INFO',
    help: '',
    native: 'redis_db_keys_expiring',
    note: 'ours has no series for an empty database',
  },
  {
    name: 'redis_db_avg_ttl_seconds',
    type: 'gauge',
    labels: ['db'],
    treatment: 'shared',
    source: 'INFO',
    help: '',
    native: 'redis_db_avg_ttl_seconds',
  },
  {
    name: 'redis_db_keys_cached',
    type: 'gauge',
    labels: ['db'],
    treatment: 'added',
    source: 'INFO',
    help: 'The fourth field of a keyspace line, whatever its name, as redis_exporter 1.45 reads it (KeyDB cached_keys; on Redis 7.4+ subexpiry).',
    native: 'redis_db_keys_with_expiring_fields',
    note: 'on Redis 7.4+ (subexpiry); ours reads fields by name',
  },
  ...(['redis_commands_total', 'redis_commands_duration_seconds_total'] as const).map((name): Structured => ({
    name,
    type: 'counter',
    labels: ['cmd'],
    treatment: 'shared',
    source: 'INFO',
    help: '',
    native: name,
  })),
  ...(['redis_commands_rejected_calls_total', 'redis_commands_failed_calls_total'] as const).map(
    (name): Structured => ({
      name,
      type: 'counter',
      labels: ['cmd'],
      treatment: 'shared',
      source: 'INFO',
      help: '',
      native: name,
    }),
  ),
  {
    name: 'redis_errors_total',
    type: 'counter',
    labels: ['err'],
    treatment: 'shared',
    source: 'INFO',
    help: '',
    native: 'redis_errors_total',
  },
  {
    name: 'redis_latency_percentiles_usec',
    type: 'summary',
    labels: ['cmd', 'quantile'],
    treatment: 'added',
    source: 'INFO',
    help: 'Latency percentiles of a command in microseconds (quantile 50, 99, 99.9), with its calls and total microseconds.',
    native: 'redis_command_latency_seconds',
    note: 'seconds (× 1e-6), quantile 0.5/0.99/0.999',
  },
  ...CONFIG_FAMILIES.map(({ parameter, native }): Structured => ({
    name: configFamilyName(parameter),
    type: 'gauge',
    labels: [],
    treatment: 'added',
    source: 'CONFIG GET',
    help: `The ${parameter} setting (CONFIG GET, read at most every 30 s).`,
    native,
    note: native === null ? 'compat mode only' : 'ours is read from INFO at every scrape',
  })),
  {
    name: 'redis_slowlog_length',
    type: 'gauge',
    labels: [],
    treatment: 'added',
    source: 'SLOWLOG',
    help: 'Entries in the slow log (SLOWLOG LEN).',
    native: null,
    note: 'compat mode only',
  },
  {
    name: 'redis_slowlog_last_id',
    type: 'gauge',
    labels: [],
    treatment: 'added',
    source: 'SLOWLOG',
    help: 'Id of the newest slow log entry; 0 when the slow log is empty.',
    native: null,
    note: 'compat mode only',
  },
  {
    name: 'redis_last_slow_execution_duration_seconds',
    type: 'gauge',
    labels: [],
    treatment: 'added',
    source: 'SLOWLOG',
    help: 'Duration of the newest slow log entry, in seconds; 0 when the slow log is empty.',
    native: null,
    note: 'compat mode only',
  },
  {
    name: 'redis_latency_spike_last',
    type: 'gauge',
    labels: ['event_name'],
    treatment: 'added',
    source: 'LATENCY LATEST',
    help: 'Unix time of the latest latency spike of an event (latency monitor).',
    native: null,
    note: 'compat mode only',
  },
  {
    name: 'redis_latency_spike_duration_seconds',
    type: 'gauge',
    labels: ['event_name'],
    treatment: 'added',
    source: 'LATENCY LATEST',
    help: 'Duration of the latest latency spike of an event, in seconds.',
    native: null,
    note: 'compat mode only',
  },
];

function configFamilyName(parameter: string): string {
  return `redis_config_${parameter.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

const HELP = new Map(STRUCTURED.map((s) => [s.name, s.help]));
/** Our families that compat mode may reshape. */
const RESHAPED: ReadonlySet<string> = new Set(STRUCTURED.filter((s) => s.treatment === 'reshaped').map((s) => s.name));
const ADDED_SCALARS = SCALARS.filter((s) => !s.shared);
const help = (name: string): string => HELP.get(name) ?? '';

/** Every family of redis_exporter 1.45 that compat mode provides: the migration table. */
export const EXPORTER_FAMILIES: readonly ExporterFamily[] = [
  ...SCALARS.map((s): ExporterFamily => {
    const notes: string[] = [];
    if (s.native && s.native.type !== s.type) notes.push(`ours is a ${s.native.type}`);
    if (s.native && !s.shared) {
      const factor = nativeFactor(s, s.native);
      if (factor !== 1) notes.push(`ours is this × ${factor}`);
    }
    if (s.shared && s.native?.type !== s.type) notes.push('kept as ours: PromQL does not read TYPE');
    if (s.override) notes.push(s.override.note);
    return {
      name: s.name,
      type: s.type,
      labels: [],
      treatment: s.shared ? 'shared' : 'added',
      source: 'INFO',
      native: s.override ? s.override.name : (s.native?.name ?? null),
      note: notes.join('; '),
    };
  }),
  ...STRUCTURED.map(({ name, type, labels, treatment, source, native, note }): ExporterFamily => ({
    name,
    type,
    labels,
    treatment,
    source,
    native,
    note: note ?? '',
  })),
];

/**
 * What redis_exporter emits that compat mode does not, and why: its own health (ours is
 * different: redis_up, redis_scrape_*), features behind extra flags, and Redis modes the
 * manager does not run. Prefixes end with `_`.
 */
export const EXPORTER_LEFT_OUT: readonly { names: readonly string[]; reason: string }[] = [
  {
    names: [
      'redis_exporter_build_info',
      'redis_exporter_last_scrape_connect_time_seconds',
      'redis_exporter_last_scrape_duration_seconds',
      'redis_exporter_last_scrape_error',
      'redis_exporter_scrape_duration_seconds',
      'redis_exporter_scrapes_total',
      'redis_target_scrape_request_errors_total',
      'redis_last_key_groups_scrape_duration_milliseconds',
      'go_',
      'process_',
      'promhttp_',
    ],
    reason:
      'the exporter process itself (ours: redis_scrape_duration_seconds, redis_scrape_failures_total, process_* and nodejs_* of the manager)',
  },
  {
    names: [
      'redis_key_size',
      'redis_key_value',
      'redis_keys_count',
      'redis_key_group_',
      'redis_number_of_distinct_key_groups',
      'redis_script_',
      'redis_stream_',
      'redis_connected_clients_details',
      'redis_total_system_memory_bytes',
      'redis_exporter_last_scrape_ping_time_seconds',
    ],
    reason:
      'behind extra exporter flags (--check-keys, --count-keys, --check-key-groups, --script, --check-streams, --export-client-list, --include-system-metrics, --ping-on-connect); redis_total_system_memory_bytes is always in ours',
  },
  {
    names: [
      'redis_cluster_state',
      'redis_cluster_slots_',
      'redis_cluster_known_nodes',
      'redis_cluster_size',
      'redis_cluster_current_epoch',
      'redis_cluster_my_epoch',
      'redis_cluster_messages_',
      'redis_cluster_stats_',
      'redis_sentinel_',
      'redis_tile38_',
    ],
    reason:
      'Redis Cluster (CLUSTER INFO), Sentinel and Tile38 targets: the manager runs standalone and replicated redis-server (redis_cluster_enabled and redis_cluster_connections are kept)',
  },
];

/** True for an exporter family in EXPORTER_LEFT_OUT. */
export function isLeftOut(name: string): boolean {
  return EXPORTER_LEFT_OUT.some(({ names }) => names.some((n) => (n.endsWith('_') ? name.startsWith(n) : name === n)));
}

// ---------------------------------------------------------------------------------------

function family(name: string, type: MetricType, samples: Sample[], helpText = help(name)): Family {
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
  return [{ labels, value: 1 }];
}

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
    if (values.length === 4) cached.push({ labels: { db: db.name }, value: values[3]! });
  }
  // Every database the exporter pads (CONFIG databases), and any other that has keys.
  const indexes = new Set([...Array(databaseCount(info, reads.config)).keys(), ...keys.keys()]);
  const sorted = [...indexes].sort((a, b) => a - b);
  const padded = (values: Map<number, number>): Sample[] =>
    sorted.map((i) => ({ labels: { db: `db${i}` }, value: values.get(i) ?? 0 }));
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

const LATENCY_PREFIX = 'latency_percentiles_usec_';
/** The exporter reads calls and usec by position: the first two fields of a cmdstat line. */
const CALLS_USEC = /^calls=(\d+),usec=(\d+)/;

/** `latency_percentiles_usec_<cmd>:p50=…,p99=…` with count and sum (µs) from commandstats. */
function latencySummary(info: Info): Family {
  const summary = family('redis_latency_percentiles_usec', 'summary', []);
  const stats = info.sections.get('commandstats');
  for (const [key, value] of info.sections.get('latencystats') ?? []) {
    if (!key.startsWith(LATENCY_PREFIX)) continue;
    const cmd = key.slice(LATENCY_PREFIX.length);
    const m = CALLS_USEC.exec(stats?.get(`cmdstat_${cmd}`) ?? '');
    if (!m) continue;
    // `p50=0.001,p99=1.003,p99.9=4.015`, scanned without building a map (this runs per command).
    for (let start = 0; start < value.length;) {
      const comma = value.indexOf(',', start);
      const end = comma < 0 ? value.length : comma;
      const eq = value.indexOf('=', start);
      if (value.charCodeAt(start) === 112 /* p */ && eq > start && eq < end) {
        const q = value.slice(start + 1, eq);
        const v = exporterValue(value.slice(eq + 1, end));
        if (exporterValue(q) !== undefined && v !== undefined) {
          summary.samples.push({ labels: { cmd, quantile: String(Number(q)) }, value: v });
        }
      }
      start = end + 1;
    }
    summary.samples.push({ suffix: '_sum', labels: { cmd }, value: Number(m[2]) });
    summary.samples.push({ suffix: '_count', labels: { cmd }, value: Number(m[1]) });
  }
  return summary;
}

function readFamilies(reads: CompatReads): Family[] {
  const out: Family[] = [];
  for (const { parameter } of CONFIG_FAMILIES) {
    const value = reads.config?.get(parameter);
    if (value !== undefined) out.push(family(configFamilyName(parameter), 'gauge', [{ value }]));
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
