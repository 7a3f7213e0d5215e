// INFO fields that map one to one onto a metric: field name → metric name, type, HELP and
// the conversion to base units. Looked up by field name, so a field a version lacks is
// simply absent and a field it adds is ignored. The 14 seed names other code depends on
// (docs/ARCHITECTURE.md) are marked; the rest cover (at least) every INFO field prometheus-redis-exporter 1.45 turns
// into a metric, with base units and `_total` only on counters.
import type { MetricType } from './exposition.js';
import { toNumber } from '../../redis/info.js';

export interface ScalarMetric {
  field: string;
  name: string;
  type: MetricType;
  help: string;
  /** Turns the INFO value into the metric value (units, ok/err, up/down). Default: the number. */
  convert?: (raw: string) => number | undefined;
}

// Divided, not multiplied by 1e-6: 541 / 1e6 renders 0.000541, 541 * 1e-6 renders
// 0.0005409999999999999 (a division by a power of ten rounds to the nearest decimal).
const scaledDown = (divisor: number) => (raw: string) => {
  const n = toNumber(raw);
  return n === undefined ? undefined : n / divisor;
};
const fromMillis = scaledDown(1e3);
const fromMicros = scaledDown(1e6);
const fromPercent = scaledDown(1e2);
const isOk = (raw: string) => (raw === 'ok' ? 1 : 0);

const gauge = (field: string, name: string, help: string, convert?: ScalarMetric['convert']): ScalarMetric => ({
  field,
  name,
  type: 'gauge',
  help,
  convert,
});
const counter = (field: string, name: string, help: string, convert?: ScalarMetric['convert']): ScalarMetric => ({
  field,
  name,
  type: 'counter',
  help,
  convert,
});

export const SCALAR_METRICS: readonly ScalarMetric[] = [
  // Server
  gauge('uptime_in_seconds', 'redis_uptime_seconds', 'Seconds since redis-server started.'), // pinned
  gauge('process_id', 'redis_process_id', 'PID of the redis-server process.'),
  gauge('io_threads_active', 'redis_io_threads_active', '1 while Redis uses its I/O threads.'),
  gauge('hz', 'redis_hz', 'Current frequency of Redis background tasks, in Hz.'),
  gauge('configured_hz', 'redis_configured_hz', 'Configured frequency of Redis background tasks, in Hz.'),
  gauge('lru_clock', 'redis_lru_clock', 'Redis LRU clock (minutes, wrapping), as INFO reports it.'),

  // Clients
  gauge('connected_clients', 'redis_connected_clients', 'Client connections, replicas excluded.'), // pinned
  gauge('blocked_clients', 'redis_blocked_clients', 'Clients blocked in a blocking call (BLPOP, XREAD, WAIT, ...).'), // pinned
  gauge('maxclients', 'redis_max_clients', 'The maxclients setting: most client connections Redis accepts.'),
  gauge('cluster_connections', 'redis_cluster_connections', 'Connections used by the cluster bus.'),
  gauge('tracking_clients', 'redis_tracking_clients', 'Clients with client-side caching (tracking) on.'),
  gauge('clients_in_timeout_table', 'redis_clients_in_timeout_table', 'Blocked clients with a timeout.'),
  gauge('pubsub_clients', 'redis_pubsub_clients', 'Clients in Pub/Sub mode.'),
  gauge('watching_clients', 'redis_watching_clients', 'Clients watching keys (WATCH).'),
  gauge('total_watched_keys', 'redis_watched_keys', 'Keys watched by clients (WATCH).'),
  gauge('total_blocking_keys', 'redis_blocking_keys', 'Keys clients are blocked on.'),
  gauge(
    'total_blocking_keys_on_nokey',
    'redis_blocking_keys_on_nokey',
    'Keys clients are blocked on that wait for the key to be deleted.',
  ),
  gauge(
    'client_recent_max_input_buffer',
    'redis_client_recent_max_input_buffer_bytes',
    'Largest client input buffer recently seen, in bytes.',
  ),
  gauge(
    'client_recent_max_output_buffer',
    'redis_client_recent_max_output_buffer_bytes',
    'Largest client output buffer recently seen, in bytes.',
  ),

  // Memory
  gauge('used_memory', 'redis_used_memory_bytes', 'Bytes allocated by Redis with its allocator.'), // pinned
  gauge('used_memory_peak', 'redis_used_memory_peak_bytes', 'Peak of used_memory, in bytes.'), // pinned
  gauge(
    'used_memory_rss',
    'redis_used_memory_rss_bytes',
    'Resident set size of redis-server as the OS sees it, in bytes.',
  ),
  gauge(
    'used_memory_overhead',
    'redis_used_memory_overhead_bytes',
    'Bytes Redis uses to manage its data structures (not the data).',
  ),
  gauge('used_memory_startup', 'redis_used_memory_startup_bytes', 'Bytes Redis used right after start-up.'),
  gauge('used_memory_dataset', 'redis_used_memory_dataset_bytes', 'Bytes of the dataset (used_memory minus overhead).'),
  gauge('used_memory_lua', 'redis_used_memory_lua_bytes', 'Bytes used by the Lua engine (EVAL).'),
  gauge('used_memory_vm_eval', 'redis_used_memory_vm_eval_bytes', 'Bytes used by the EVAL scripting engine.'),
  gauge(
    'used_memory_vm_functions',
    'redis_used_memory_vm_functions_bytes',
    'Bytes used by the Functions scripting engine.',
  ),
  gauge('used_memory_vm_total', 'redis_used_memory_vm_total_bytes', 'Bytes used by all scripting engines.'),
  gauge(
    'used_memory_scripts',
    'redis_used_memory_scripts_bytes',
    'Bytes used by cached scripts and functions (overhead).',
  ),
  gauge('used_memory_scripts_eval', 'redis_used_memory_scripts_eval_bytes', 'Bytes of overhead of EVAL scripts.'),
  gauge('used_memory_functions', 'redis_used_memory_functions_bytes', 'Bytes of overhead of Functions.'),
  gauge('total_system_memory', 'redis_total_system_memory_bytes', 'Total memory of the host, in bytes.'),
  gauge('maxmemory', 'redis_maxmemory_bytes', 'The maxmemory setting in bytes; 0 means no limit.'),
  gauge(
    'allocator_allocated',
    'redis_allocator_allocated_bytes',
    'Bytes allocated by the allocator, internal fragmentation included.',
  ),
  gauge(
    'allocator_active',
    'redis_allocator_active_bytes',
    'Bytes in active allocator pages, external fragmentation included.',
  ),
  gauge(
    'allocator_resident',
    'redis_allocator_resident_bytes',
    'Bytes resident in the allocator, releasable pages included.',
  ),
  gauge('allocator_frag_ratio', 'redis_allocator_frag_ratio', 'allocator_active / allocator_allocated.'),
  gauge('allocator_frag_bytes', 'redis_allocator_frag_bytes', 'allocator_active minus allocator_allocated, in bytes.'),
  gauge('allocator_rss_ratio', 'redis_allocator_rss_ratio', 'allocator_resident / allocator_active.'),
  gauge('allocator_rss_bytes', 'redis_allocator_rss_bytes', 'allocator_resident minus allocator_active, in bytes.'),
  gauge('rss_overhead_ratio', 'redis_rss_overhead_ratio', 'used_memory_rss / allocator_resident.'),
  gauge('rss_overhead_bytes', 'redis_rss_overhead_bytes', 'used_memory_rss minus allocator_resident, in bytes.'),
  gauge('mem_fragmentation_ratio', 'redis_mem_fragmentation_ratio', 'used_memory_rss / used_memory.'),
  gauge('mem_fragmentation_bytes', 'redis_mem_fragmentation_bytes', 'used_memory_rss minus used_memory, in bytes.'),
  gauge(
    'mem_not_counted_for_evict',
    'redis_mem_not_counted_for_eviction_bytes',
    'Bytes not counted against maxmemory (replica and AOF buffers).',
  ),
  gauge('mem_replication_backlog', 'redis_mem_replication_backlog_bytes', 'Bytes used by the replication backlog.'),
  gauge(
    'mem_total_replication_buffers',
    'redis_mem_replication_buffers_bytes',
    'Bytes used by replication buffers (backlog and replica output).',
  ),
  gauge('mem_clients_slaves', 'redis_mem_clients_replicas_bytes', 'Bytes used by replica client buffers.'),
  gauge('mem_clients_normal', 'redis_mem_clients_normal_bytes', 'Bytes used by normal client buffers.'),
  gauge('mem_cluster_links', 'redis_mem_cluster_links_bytes', 'Bytes used by cluster bus links.'),
  gauge('mem_aof_buffer', 'redis_mem_aof_buffer_bytes', 'Bytes used by the AOF buffers.'),
  gauge(
    'active_defrag_running',
    'redis_active_defrag_running',
    'CPU percentage active defragmentation is using; 0 when not running.',
  ),
  gauge('lazyfree_pending_objects', 'redis_lazyfree_pending_objects', 'Objects waiting to be freed in the background.'),
  counter('lazyfreed_objects', 'redis_lazyfreed_objects_total', 'Objects freed in the background.'),
  gauge('number_of_cached_scripts', 'redis_cached_scripts', 'Lua scripts in the script cache.'),
  gauge('number_of_functions', 'redis_functions', 'Functions loaded.'),
  gauge('number_of_libraries', 'redis_function_libraries', 'Function libraries loaded.'),

  // Persistence
  gauge('loading', 'redis_loading', '1 while Redis is loading its dataset from disk.'),
  gauge('async_loading', 'redis_async_loading', '1 while a replica loads a dataset while serving the old one.'),
  gauge(
    'loading_start_time',
    'redis_loading_start_timestamp_seconds',
    'When the current load started, in Unix seconds.',
  ),
  gauge('loading_total_bytes', 'redis_loading_total_bytes', 'Size of the file being loaded, in bytes.'),
  gauge('loading_loaded_bytes', 'redis_loading_loaded_bytes', 'Bytes loaded so far.'),
  gauge('loading_loaded_perc', 'redis_loading_loaded_ratio', 'Fraction of the file loaded so far (0-1).', fromPercent),
  gauge('loading_eta_seconds', 'redis_loading_eta_seconds', 'Estimated seconds until the load completes.'),
  gauge(
    'current_cow_peak',
    'redis_current_cow_peak_bytes',
    'Peak copy-on-write size of the running fork child, in bytes.',
  ),
  gauge('current_cow_size', 'redis_current_cow_size_bytes', 'Copy-on-write size of the running fork child, in bytes.'),
  gauge('current_fork_perc', 'redis_current_fork_ratio', 'Progress of the running fork child (0-1).', fromPercent),
  gauge('current_save_keys_processed', 'redis_current_save_keys_processed', 'Keys processed by the running save.'),
  gauge('current_save_keys_total', 'redis_current_save_keys', 'Keys at the start of the running save.'),
  gauge('rdb_changes_since_last_save', 'redis_rdb_changes_since_last_save', 'Writes since the last RDB save.'),
  gauge('rdb_bgsave_in_progress', 'redis_rdb_bgsave_in_progress', '1 while an RDB save (BGSAVE) runs.'),
  gauge(
    'rdb_last_save_time',
    'redis_rdb_last_save_timestamp',
    'Unix time, in seconds, of the last successful RDB save.',
  ), // pinned
  gauge(
    'rdb_last_bgsave_status',
    'redis_rdb_last_bgsave_status',
    '1 if the last RDB save succeeded, 0 if it failed.',
    isOk,
  ),
  gauge(
    'rdb_last_bgsave_time_sec',
    'redis_rdb_last_bgsave_duration_seconds',
    'Duration of the last RDB save in seconds; -1 if none.',
  ),
  gauge(
    'rdb_current_bgsave_time_sec',
    'redis_rdb_current_bgsave_duration_seconds',
    'Duration of the running RDB save in seconds; -1 if none.',
  ),
  counter('rdb_saves', 'redis_rdb_saves_total', 'RDB saves performed since start-up.'),
  gauge('rdb_last_cow_size', 'redis_rdb_last_cow_size_bytes', 'Copy-on-write bytes of the last RDB save.'),
  gauge(
    'rdb_last_load_keys_expired',
    'redis_rdb_last_load_keys_expired',
    'Keys dropped as expired by the last RDB load.',
  ),
  gauge('rdb_last_load_keys_loaded', 'redis_rdb_last_load_keys_loaded', 'Keys loaded by the last RDB load.'),
  gauge('aof_enabled', 'redis_aof_enabled', '1 when AOF persistence is on.'), // pinned
  gauge('aof_rewrite_in_progress', 'redis_aof_rewrite_in_progress', '1 while an AOF rewrite runs.'),
  gauge(
    'aof_rewrite_scheduled',
    'redis_aof_rewrite_scheduled',
    '1 when an AOF rewrite will start after the running save.',
  ),
  gauge(
    'aof_last_rewrite_time_sec',
    'redis_aof_last_rewrite_duration_seconds',
    'Duration of the last AOF rewrite in seconds; -1 if none.',
  ),
  gauge(
    'aof_current_rewrite_time_sec',
    'redis_aof_current_rewrite_duration_seconds',
    'Duration of the running AOF rewrite in seconds; -1 if none.',
  ),
  gauge(
    'aof_last_bgrewrite_status',
    'redis_aof_last_bgrewrite_status',
    '1 if the last AOF rewrite succeeded, 0 if it failed.',
    isOk,
  ),
  gauge(
    'aof_last_write_status',
    'redis_aof_last_write_status',
    '1 if the last AOF write succeeded, 0 if it failed.',
    isOk,
  ),
  gauge('aof_last_cow_size', 'redis_aof_last_cow_size_bytes', 'Copy-on-write bytes of the last AOF rewrite.'),
  counter('aof_rewrites', 'redis_aof_rewrites_total', 'AOF rewrites performed since start-up.'),
  gauge(
    'aof_rewrites_consecutive_failures',
    'redis_aof_rewrites_consecutive_failures',
    'AOF rewrites that failed in a row.',
  ),
  gauge('aof_current_size', 'redis_aof_current_size_bytes', 'Current AOF size, in bytes.'),
  gauge('aof_base_size', 'redis_aof_base_size_bytes', 'AOF size at the last rewrite or start-up, in bytes.'),
  gauge('aof_pending_rewrite', 'redis_aof_pending_rewrite', '1 when an AOF rewrite waits for the running save.'),
  gauge('aof_buffer_length', 'redis_aof_buffer_length_bytes', 'Size of the AOF buffer, in bytes.'),
  gauge('aof_pending_bio_fsync', 'redis_aof_pending_bio_fsync', 'fsync jobs waiting in the background I/O queue.'),
  counter('aof_delayed_fsync', 'redis_aof_delayed_fsync_total', 'Times an AOF fsync was delayed.'),
  gauge('module_fork_in_progress', 'redis_module_fork_in_progress', '1 while a module fork child runs.'),
  gauge(
    'module_fork_last_cow_size',
    'redis_module_fork_last_cow_size_bytes',
    'Copy-on-write bytes of the last module fork.',
  ),

  // Stats
  counter('total_connections_received', 'redis_connections_received_total', 'Connections accepted.'),
  counter('total_commands_processed', 'redis_commands_processed_total', 'Commands processed.'), // pinned
  counter('total_net_input_bytes', 'redis_net_input_bytes_total', 'Bytes read from the network.'),
  counter('total_net_output_bytes', 'redis_net_output_bytes_total', 'Bytes written to the network.'),
  counter(
    'total_net_repl_input_bytes',
    'redis_net_repl_input_bytes_total',
    'Bytes read from the network for replication.',
  ),
  counter(
    'total_net_repl_output_bytes',
    'redis_net_repl_output_bytes_total',
    'Bytes written to the network for replication.',
  ),
  counter('rejected_connections', 'redis_rejected_connections_total', 'Connections refused because of maxclients.'),
  counter('sync_full', 'redis_replica_resyncs_full_total', 'Full resynchronisations with replicas.'),
  counter(
    'sync_partial_ok',
    'redis_replica_partial_resync_accepted_total',
    'Partial resynchronisation requests accepted.',
  ),
  counter(
    'sync_partial_err',
    'redis_replica_partial_resync_denied_total',
    'Partial resynchronisation requests denied.',
  ),
  counter('expired_keys', 'redis_expired_keys_total', 'Keys expired.'),
  counter('expired_subkeys', 'redis_expired_subkeys_total', 'Hash fields expired.'),
  gauge(
    'expired_stale_perc',
    'redis_expired_stale_ratio',
    'Estimated fraction of keys that are expired but not yet deleted (0-1).',
    fromPercent,
  ),
  counter(
    'expired_time_cap_reached_count',
    'redis_expired_time_cap_reached_total',
    'Active expire cycles stopped early by their time limit.',
  ),
  counter(
    'expire_cycle_cpu_milliseconds',
    'redis_expire_cycle_cpu_seconds_total',
    'CPU time spent in active expiry, in seconds.',
    fromMillis,
  ),
  counter('evicted_keys', 'redis_evicted_keys_total', 'Keys evicted because of maxmemory.'),
  counter('evicted_clients', 'redis_evicted_clients_total', 'Clients evicted because of maxmemory-clients.'),
  counter('evicted_scripts', 'redis_evicted_scripts_total', 'EVAL scripts evicted from the script cache.'),
  counter(
    'total_eviction_exceeded_time',
    'redis_eviction_exceeded_seconds_total',
    'Time used_memory spent above maxmemory, in seconds.',
    fromMillis,
  ),
  gauge(
    'current_eviction_exceeded_time',
    'redis_current_eviction_exceeded_seconds',
    'How long used_memory has been above maxmemory, in seconds.',
    fromMillis,
  ),
  counter('keyspace_hits', 'redis_keyspace_hits_total', 'Successful key look-ups.'), // pinned
  counter('keyspace_misses', 'redis_keyspace_misses_total', 'Failed key look-ups.'), // pinned
  gauge('pubsub_channels', 'redis_pubsub_channels', 'Pub/Sub channels with subscribers.'),
  gauge('pubsub_patterns', 'redis_pubsub_patterns', 'Pub/Sub patterns with subscribers.'),
  gauge('pubsubshard_channels', 'redis_pubsub_shard_channels', 'Sharded Pub/Sub channels with subscribers.'),
  gauge('latest_fork_usec', 'redis_latest_fork_seconds', 'Duration of the latest fork, in seconds.', fromMicros),
  counter('total_forks', 'redis_forks_total', 'Forks performed.'),
  gauge('migrate_cached_sockets', 'redis_migrate_cached_sockets', 'Sockets open for MIGRATE.'),
  gauge(
    'slave_expires_tracked_keys',
    'redis_replica_expires_tracked_keys',
    'Keys tracked for expiry on a writable replica.',
  ),
  counter('active_defrag_hits', 'redis_defrag_hits_total', 'Value reallocations done by active defragmentation.'),
  counter('active_defrag_misses', 'redis_defrag_misses_total', 'Value reallocations active defragmentation skipped.'),
  counter('active_defrag_key_hits', 'redis_defrag_key_hits_total', 'Keys actively defragmented.'),
  counter('active_defrag_key_misses', 'redis_defrag_key_misses_total', 'Keys active defragmentation skipped.'),
  counter(
    'total_active_defrag_time',
    'redis_active_defrag_seconds_total',
    'Time memory fragmentation was over the limit, in seconds.',
    fromMillis,
  ),
  gauge(
    'current_active_defrag_time',
    'redis_current_active_defrag_seconds',
    'How long memory fragmentation has been over the limit, in seconds.',
    fromMillis,
  ),
  gauge('tracking_total_keys', 'redis_tracking_keys', 'Keys tracked for client-side caching.'),
  gauge('tracking_total_items', 'redis_tracking_items', 'Items (client x key) tracked for client-side caching.'),
  gauge(
    'tracking_total_prefixes',
    'redis_tracking_prefixes',
    'Prefixes tracked for client-side caching (broadcast mode).',
  ),
  counter(
    'unexpected_error_replies',
    'redis_unexpected_error_replies_total',
    'Unexpected error replies (AOF load, replication).',
  ),
  counter(
    'total_error_replies',
    'redis_error_replies_total',
    'Error replies sent, rejected and failed commands included.',
  ),
  counter(
    'dump_payload_sanitizations',
    'redis_dump_payload_sanitizations_total',
    'Deep integrity checks of RESTORE payloads.',
  ),
  counter('total_reads_processed', 'redis_reads_processed_total', 'Read events processed.'),
  counter('total_writes_processed', 'redis_writes_processed_total', 'Write events processed.'),
  counter(
    'io_threaded_reads_processed',
    'redis_io_threaded_reads_processed_total',
    'Read events processed by I/O threads.',
  ),
  counter(
    'io_threaded_writes_processed',
    'redis_io_threaded_writes_processed_total',
    'Write events processed by I/O threads.',
  ),
  counter('reply_buffer_shrinks', 'redis_reply_buffer_shrinks_total', 'Times a client reply buffer shrank.'),
  counter('reply_buffer_expands', 'redis_reply_buffer_expands_total', 'Times a client reply buffer grew.'),
  counter(
    'client_query_buffer_limit_disconnections',
    'redis_client_query_buffer_limit_disconnections_total',
    'Clients disconnected for exceeding the query buffer limit.',
  ),
  counter(
    'client_output_buffer_limit_disconnections',
    'redis_client_output_buffer_limit_disconnections_total',
    'Clients disconnected for exceeding the output buffer limit.',
  ),
  counter('acl_access_denied_auth', 'redis_acl_access_denied_auth_total', 'Authentication failures.'),
  counter('acl_access_denied_cmd', 'redis_acl_access_denied_cmd_total', 'Commands refused by ACL.'),
  counter('acl_access_denied_key', 'redis_acl_access_denied_key_total', 'Key accesses refused by ACL.'),
  counter('acl_access_denied_channel', 'redis_acl_access_denied_channel_total', 'Channel accesses refused by ACL.'),

  // Replication
  gauge('connected_slaves', 'redis_connected_replicas', 'Replicas connected to this node.'), // pinned
  gauge(
    'second_repl_offset',
    'redis_second_repl_offset',
    'Offset up to which the previous replication ID is accepted; -1 if none.',
  ),
  gauge('repl_backlog_active', 'redis_repl_backlog_active', '1 when the replication backlog is active.'),
  gauge('repl_backlog_size', 'redis_repl_backlog_size_bytes', 'Size of the replication backlog buffer, in bytes.'),
  gauge(
    'repl_backlog_first_byte_offset',
    'redis_repl_backlog_first_byte_offset',
    'Replication offset of the first byte in the backlog.',
  ),
  gauge('repl_backlog_histlen', 'redis_repl_backlog_history_bytes', 'Bytes of data in the replication backlog.'),
  gauge(
    'slave_read_repl_offset',
    'redis_replica_read_repl_offset',
    'Replication offset this replica has read from its primary.',
  ),
  gauge('slave_priority', 'redis_replica_priority', 'Priority of this replica for promotion by Sentinel.'),
  gauge('replica_priority', 'redis_replica_priority', 'Priority of this replica for promotion by Sentinel.'),
  gauge('slave_read_only', 'redis_replica_read_only', '1 when this replica refuses writes.'),
  gauge('replica_read_only', 'redis_replica_read_only', '1 when this replica refuses writes.'),
  gauge('replica_announced', 'redis_replica_announced', '1 when this replica is announced by Sentinel.'),
  gauge(
    'master_last_io_seconds_ago',
    'redis_master_last_io_seconds_ago',
    'Seconds since the last interaction with the primary; -1 if none.',
  ),
  gauge(
    'master_sync_in_progress',
    'redis_master_sync_in_progress',
    '1 while this replica synchronises with its primary.',
  ),
  gauge(
    'master_link_down_since_seconds',
    'redis_master_link_down_since_seconds',
    'Seconds the link to the primary has been down.',
  ),
  gauge(
    'master_sync_total_bytes',
    'redis_master_sync_total_bytes',
    'Bytes of the dataset being transferred from the primary; -1 if unknown.',
  ),
  gauge('master_sync_read_bytes', 'redis_master_sync_read_bytes', 'Bytes transferred so far from the primary.'),
  gauge('master_sync_left_bytes', 'redis_master_sync_left_bytes', 'Bytes left to transfer from the primary.'),
  gauge('master_sync_perc', 'redis_master_sync_ratio', 'Fraction of the sync transfer completed (0-1).', fromPercent),
  gauge(
    'master_sync_last_io_seconds_ago',
    'redis_master_sync_last_io_seconds_ago',
    'Seconds since the last I/O of the running sync transfer.',
  ),

  // CPU
  counter('used_cpu_sys', 'redis_cpu_sys_seconds_total', 'System CPU time of redis-server, in seconds.'),
  counter('used_cpu_user', 'redis_cpu_user_seconds_total', 'User CPU time of redis-server, in seconds.'),
  counter(
    'used_cpu_sys_children',
    'redis_cpu_sys_children_seconds_total',
    'System CPU time of fork children, in seconds.',
  ),
  counter(
    'used_cpu_user_children',
    'redis_cpu_user_children_seconds_total',
    'User CPU time of fork children, in seconds.',
  ),
  counter(
    'used_cpu_sys_main_thread',
    'redis_cpu_sys_main_thread_seconds_total',
    'System CPU time of the main thread, in seconds.',
  ),
  counter(
    'used_cpu_user_main_thread',
    'redis_cpu_user_main_thread_seconds_total',
    'User CPU time of the main thread, in seconds.',
  ),

  // Cluster
  gauge('cluster_enabled', 'redis_cluster_enabled', '1 when Redis Cluster mode is on.'),
];
