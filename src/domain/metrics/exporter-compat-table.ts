// redis_exporter 1.45's families as compat mode provides them: the exporter's scalar INFO
// fields (its metricMapGauges/metricMapCounters), the families it builds from structured
// INFO lines and from its other reads, what compat mode leaves out, and for each family our
// counterpart (the README's migration table is generated from EXPORTER_FAMILIES). The
// decisions on names shared with ours are explained in exporter-compat.ts. Pure data.
import { smallInteger } from '../../redis/info.js';
import type { MetricType } from './exposition.js';
import { START_TIME_HELP } from './info-families.js';
import { SCALAR_METRICS, type ScalarMetric } from './info-scalars.js';

/** The CONFIG GET parameters the exporter turns into redis_config_* (databases pads redis_db_keys). */
export const CONFIG_PARAMETERS = ['databases', 'maxclients', 'maxmemory', 'io-threads'] as const;
export const CONFIG_FAMILIES: readonly { parameter: (typeof CONFIG_PARAMETERS)[number]; native: string | null }[] = [
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
  // Most values are plain integers: read without Number(), a call into the runtime.
  const n = smallInteger(raw) ?? Number(raw);
  if (!Number.isNaN(n)) return n;
  if (raw === 'ok' || raw === 'true') return 1;
  if (raw === 'err' || raw === 'fail' || raw === 'false') return 0;
  return undefined;
}

export function scalarValue(s: Pick<ExporterScalar, 'field'>, raw: string): number | undefined {
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
    // Short: it is sent at every scrape; the native family's HELP says the rest.
    help = `redis_exporter's name for ${native.name}${factor === 1 ? '' : `, which is this times ${factor}`}.`;
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

export function configFamilyName(parameter: string): string {
  return `redis_config_${parameter.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

const HELP = new Map(STRUCTURED.map((s) => [s.name, s.help]));
/** Our families that compat mode may reshape. */
export const RESHAPED: ReadonlySet<string> = new Set(
  STRUCTURED.filter((s) => s.treatment === 'reshaped').map((s) => s.name),
);
export const ADDED_SCALARS = SCALARS.filter((s) => !s.shared);
/** HELP of a family compat mode builds from structured INFO lines or its reads. */
export const exporterHelp = (name: string): string => HELP.get(name) ?? '';

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
