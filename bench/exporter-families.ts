// prometheus-redis-exporter 1.45's metric families and where each INFO-derived one is in
// our /metrics (same INFO field, our name in base units with `_total` only on counters).
// Used by the coverage test and the benchmark to check that ours is a superset.

/** Exporter families that do not come from INFO (its own health, CONFIG GET, SLOWLOG, key scans). */
export const EXPORTER_NON_INFO = new Set([
  'redis_up',
  'redis_exporter_build_info',
  'redis_exporter_last_scrape_connect_time_seconds',
  'redis_exporter_last_scrape_duration_seconds',
  'redis_exporter_last_scrape_error',
  'redis_exporter_scrape_duration_seconds',
  'redis_exporter_scrapes_total',
  'redis_target_scrape_request_errors_total',
  'redis_config_io_threads',
  'redis_config_maxclients',
  'redis_config_maxmemory',
  'redis_slowlog_last_id',
  'redis_slowlog_length',
  'redis_last_slow_execution_duration_seconds',
  'redis_last_key_groups_scrape_duration_milliseconds',
  'redis_script_values',
  'redis_script_result',
  'redis_key_size',
  'redis_key_value',
  'redis_keys_count',
]);

/** Exporter family (INFO-derived) → ours. */
export const EXPORTER_TO_OURS: Readonly<Record<string, string>> = {
  redis_active_defrag_running: 'redis_active_defrag_running',
  redis_allocator_active_bytes: 'redis_allocator_active_bytes',
  redis_allocator_allocated_bytes: 'redis_allocator_allocated_bytes',
  redis_allocator_frag_bytes: 'redis_allocator_frag_bytes',
  redis_allocator_frag_ratio: 'redis_allocator_frag_ratio',
  redis_allocator_resident_bytes: 'redis_allocator_resident_bytes',
  redis_allocator_rss_bytes: 'redis_allocator_rss_bytes',
  redis_allocator_rss_ratio: 'redis_allocator_rss_ratio',
  redis_aof_current_rewrite_duration_sec: 'redis_aof_current_rewrite_duration_seconds',
  redis_aof_enabled: 'redis_aof_enabled',
  redis_aof_last_bgrewrite_status: 'redis_aof_last_bgrewrite_status',
  redis_aof_last_cow_size_bytes: 'redis_aof_last_cow_size_bytes',
  redis_aof_last_rewrite_duration_sec: 'redis_aof_last_rewrite_duration_seconds',
  redis_aof_last_write_status: 'redis_aof_last_write_status',
  redis_aof_rewrite_in_progress: 'redis_aof_rewrite_in_progress',
  redis_aof_rewrite_scheduled: 'redis_aof_rewrite_scheduled',
  redis_blocked_clients: 'redis_blocked_clients',
  redis_client_recent_max_input_buffer_bytes: 'redis_client_recent_max_input_buffer_bytes',
  redis_client_recent_max_output_buffer_bytes: 'redis_client_recent_max_output_buffer_bytes',
  redis_clients_in_timeout_table: 'redis_clients_in_timeout_table',
  redis_cluster_connections: 'redis_cluster_connections',
  redis_cluster_enabled: 'redis_cluster_enabled',
  redis_commands_duration_seconds_total: 'redis_commands_duration_seconds_total',
  redis_commands_failed_calls_total: 'redis_commands_failed_calls_total',
  redis_commands_processed_total: 'redis_commands_processed_total',
  redis_commands_rejected_calls_total: 'redis_commands_rejected_calls_total',
  redis_commands_total: 'redis_commands_total',
  redis_connected_clients: 'redis_connected_clients',
  redis_connected_slave_lag_seconds: 'redis_connected_replica_ack_lag_seconds',
  redis_connected_slave_offset_bytes: 'redis_connected_replica_offset_bytes',
  redis_connected_slaves: 'redis_connected_replicas',
  redis_connections_received_total: 'redis_connections_received_total',
  redis_cpu_sys_children_seconds_total: 'redis_cpu_sys_children_seconds_total',
  redis_cpu_sys_main_thread_seconds_total: 'redis_cpu_sys_main_thread_seconds_total',
  redis_cpu_sys_seconds_total: 'redis_cpu_sys_seconds_total',
  redis_cpu_user_children_seconds_total: 'redis_cpu_user_children_seconds_total',
  redis_cpu_user_main_thread_seconds_total: 'redis_cpu_user_main_thread_seconds_total',
  redis_cpu_user_seconds_total: 'redis_cpu_user_seconds_total',
  redis_db_avg_ttl_seconds: 'redis_db_avg_ttl_seconds',
  redis_db_keys: 'redis_db_keys',
  redis_db_keys_expiring: 'redis_db_keys_expiring',
  redis_defrag_hits: 'redis_defrag_hits_total',
  redis_defrag_key_hits: 'redis_defrag_key_hits_total',
  redis_defrag_key_misses: 'redis_defrag_key_misses_total',
  redis_defrag_misses: 'redis_defrag_misses_total',
  redis_dump_payload_sanitizations: 'redis_dump_payload_sanitizations_total',
  redis_errors_total: 'redis_errors_total',
  redis_evicted_keys_total: 'redis_evicted_keys_total',
  redis_expired_keys_total: 'redis_expired_keys_total',
  redis_expired_stale_percentage: 'redis_expired_stale_ratio',
  redis_expired_time_cap_reached_total: 'redis_expired_time_cap_reached_total',
  redis_instance_info: 'redis_instance_info',
  redis_io_threaded_reads_processed: 'redis_io_threaded_reads_processed_total',
  redis_io_threaded_writes_processed: 'redis_io_threaded_writes_processed_total',
  redis_io_threads_active: 'redis_io_threads_active',
  redis_keyspace_hits_total: 'redis_keyspace_hits_total',
  redis_keyspace_misses_total: 'redis_keyspace_misses_total',
  redis_latency_percentiles_usec: 'redis_command_latency_seconds',
  redis_latest_fork_seconds: 'redis_latest_fork_seconds',
  redis_lazyfree_pending_objects: 'redis_lazyfree_pending_objects',
  redis_loading_dump_file: 'redis_loading',
  redis_master_last_io_seconds_ago: 'redis_master_last_io_seconds_ago',
  redis_master_link_up: 'redis_master_link_up',
  redis_master_repl_offset: 'redis_replication_offset',
  redis_master_sync_in_progress: 'redis_master_sync_in_progress',
  redis_mem_clients_normal: 'redis_mem_clients_normal_bytes',
  redis_mem_clients_slaves: 'redis_mem_clients_replicas_bytes',
  redis_mem_fragmentation_bytes: 'redis_mem_fragmentation_bytes',
  redis_mem_fragmentation_ratio: 'redis_mem_fragmentation_ratio',
  redis_mem_not_counted_for_eviction_bytes: 'redis_mem_not_counted_for_eviction_bytes',
  redis_memory_max_bytes: 'redis_maxmemory_bytes',
  redis_memory_used_bytes: 'redis_used_memory_bytes',
  redis_memory_used_dataset_bytes: 'redis_used_memory_dataset_bytes',
  redis_memory_used_lua_bytes: 'redis_used_memory_lua_bytes',
  redis_memory_used_overhead_bytes: 'redis_used_memory_overhead_bytes',
  redis_memory_used_peak_bytes: 'redis_used_memory_peak_bytes',
  redis_memory_used_rss_bytes: 'redis_used_memory_rss_bytes',
  redis_memory_used_scripts_bytes: 'redis_used_memory_scripts_bytes',
  redis_memory_used_startup_bytes: 'redis_used_memory_startup_bytes',
  redis_migrate_cached_sockets_total: 'redis_migrate_cached_sockets',
  redis_module_fork_in_progress: 'redis_module_fork_in_progress',
  redis_module_fork_last_cow_size: 'redis_module_fork_last_cow_size_bytes',
  redis_net_input_bytes_total: 'redis_net_input_bytes_total',
  redis_net_output_bytes_total: 'redis_net_output_bytes_total',
  redis_number_of_cached_scripts: 'redis_cached_scripts',
  redis_process_id: 'redis_process_id',
  redis_pubsub_channels: 'redis_pubsub_channels',
  redis_pubsub_patterns: 'redis_pubsub_patterns',
  redis_rdb_bgsave_in_progress: 'redis_rdb_bgsave_in_progress',
  redis_rdb_changes_since_last_save: 'redis_rdb_changes_since_last_save',
  redis_rdb_current_bgsave_duration_sec: 'redis_rdb_current_bgsave_duration_seconds',
  redis_rdb_last_bgsave_duration_sec: 'redis_rdb_last_bgsave_duration_seconds',
  redis_rdb_last_bgsave_status: 'redis_rdb_last_bgsave_status',
  redis_rdb_last_cow_size_bytes: 'redis_rdb_last_cow_size_bytes',
  redis_rdb_last_save_timestamp_seconds: 'redis_rdb_last_save_timestamp',
  redis_rejected_connections_total: 'redis_rejected_connections_total',
  redis_repl_backlog_first_byte_offset: 'redis_repl_backlog_first_byte_offset',
  redis_repl_backlog_history_bytes: 'redis_repl_backlog_history_bytes',
  redis_repl_backlog_is_active: 'redis_repl_backlog_active',
  redis_replica_partial_resync_accepted: 'redis_replica_partial_resync_accepted_total',
  redis_replica_partial_resync_denied: 'redis_replica_partial_resync_denied_total',
  redis_replica_resyncs_full: 'redis_replica_resyncs_full_total',
  redis_replication_backlog_bytes: 'redis_repl_backlog_size_bytes',
  redis_second_repl_offset: 'redis_second_repl_offset',
  redis_slave_expires_tracked_keys: 'redis_replica_expires_tracked_keys',
  redis_slave_info: 'redis_replica_info',
  redis_slave_priority: 'redis_replica_priority',
  redis_slave_repl_offset: 'redis_replica_repl_offset',
  redis_start_time_seconds: 'redis_start_time_seconds',
  redis_total_error_replies: 'redis_error_replies_total',
  redis_total_reads_processed: 'redis_reads_processed_total',
  redis_total_writes_processed: 'redis_writes_processed_total',
  redis_tracking_clients: 'redis_tracking_clients',
  redis_tracking_total_items: 'redis_tracking_items',
  redis_tracking_total_keys: 'redis_tracking_keys',
  redis_tracking_total_prefixes: 'redis_tracking_prefixes',
  redis_unexpected_error_replies: 'redis_unexpected_error_replies_total',
  redis_uptime_in_seconds: 'redis_uptime_seconds',
  redis_total_system_memory_bytes: 'redis_total_system_memory_bytes',
  redis_connected_slave_offset: 'redis_connected_replica_offset_bytes',
};

/** Families named by `# TYPE` lines. */
export function familiesOf(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]));
}

export interface Coverage {
  exporterInfoFamilies: string[];
  /** Exporter INFO families with no counterpart in ours (should be empty). */
  missing: string[];
  /** Exporter families this table does not know (an exporter version change). */
  unknown: string[];
}

/** Compares one exporter scrape with one of ours taken from the same Redis. */
export function coverage(exporterText: string, oursText: string): Coverage {
  const ours = familiesOf(oursText);
  const exporterInfoFamilies = [...familiesOf(exporterText)].filter(
    (f) => !EXPORTER_NON_INFO.has(f) && !f.startsWith('go_') && !f.startsWith('process_') && !f.startsWith('promhttp_'),
  );
  const missing: string[] = [];
  const unknown: string[] = [];
  for (const f of exporterInfoFamilies) {
    const mapped = EXPORTER_TO_OURS[f];
    if (mapped === undefined) unknown.push(f);
    else if (!ours.has(mapped)) missing.push(`${f} → ${mapped}`);
  }
  return { exporterInfoFamilies, missing, unknown };
}
