// Backup figures for /metrics: the last successful backup (when, how long, how big) and
// failures counted by reason. The domain keeps the figures (BackupStats); the metrics module
// exposes them through backupFamilies(stats), read at every scrape, so nothing has to push
// values around.
import type { Family } from '../metrics/exposition.js';
import type { FailureCode } from './backup-record.js';

const FAILURE_CODES: readonly FailureCode[] = [
  'redis_unavailable',
  'save_failed',
  'redis_restarted',
  'save_timeout',
  'snapshot_failed',
  'storage_unreachable',
  'storage_denied',
  'storage_no_bucket',
  'storage_error',
  'shutdown',
];

export class BackupStats {
  private lastSuccess: { at: Date; durationSeconds: number; sizeBytes: number } | null = null;
  private readonly failures = new Map<FailureCode, number>(FAILURE_CODES.map((code) => [code, 0]));
  private running = false;
  private completed = 0;

  recordStart(): void {
    this.running = true;
  }

  recordSuccess(at: Date, durationSeconds: number, sizeBytes: number): void {
    this.running = false;
    this.completed++;
    this.lastSuccess = { at, durationSeconds, sizeBytes };
  }

  recordFailure(code: FailureCode): void {
    this.running = false;
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  /** Unix seconds of the last successful backup's end; null before the first. */
  get lastSuccessTimestampSeconds(): number | null {
    return this.lastSuccess ? this.lastSuccess.at.getTime() / 1000 : null;
  }

  get lastDurationSeconds(): number | null {
    return this.lastSuccess?.durationSeconds ?? null;
  }

  get lastSizeBytes(): number | null {
    return this.lastSuccess?.sizeBytes ?? null;
  }

  get completedTotal(): number {
    return this.completed;
  }

  get inProgress(): boolean {
    return this.running;
  }

  /** Failures since the manager started, by reason (every reason present, 0 when none). */
  failuresByReason(): ReadonlyMap<FailureCode, number> {
    return this.failures;
  }
}

export const BACKUP_METRIC_NAMES = {
  lastSuccess: 'instance_manager_backup_last_success_timestamp_seconds',
  lastDuration: 'instance_manager_backup_last_duration_seconds',
  lastSize: 'instance_manager_backup_last_size_bytes',
  completed: 'instance_manager_backups_completed_total',
  failures: 'instance_manager_backup_failures_total',
  inProgress: 'instance_manager_backup_in_progress',
} as const;

/**
 * The backup metric families, read from the stats at every scrape. Before the first
 * successful backup the last-success gauges are 0, so that
 * `time() - instance_manager_backup_last_success_timestamp_seconds` is huge and a "no recent
 * backup" alert fires for a node that never had one.
 */
export function backupFamilies(stats: BackupStats): Family[] {
  const gauge = (name: string, help: string, value: number | null): Family => ({
    name,
    type: 'gauge',
    help,
    samples: [{ value: value ?? 0 }],
  });
  return [
    gauge(
      BACKUP_METRIC_NAMES.lastSuccess,
      'Unix time when the last successful backup finished.',
      stats.lastSuccessTimestampSeconds,
    ),
    gauge(
      BACKUP_METRIC_NAMES.lastDuration,
      'Duration of the last successful backup, save and upload, in seconds.',
      stats.lastDurationSeconds,
    ),
    gauge(
      BACKUP_METRIC_NAMES.lastSize,
      "Size of the last successful backup's data object (or file, when not uploaded) in bytes.",
      stats.lastSizeBytes,
    ),
    gauge(BACKUP_METRIC_NAMES.inProgress, '1 while a backup is saving or uploading.', stats.inProgress ? 1 : 0),
    {
      name: BACKUP_METRIC_NAMES.completed,
      type: 'counter',
      help: 'Backups that completed since the manager started.',
      samples: [{ value: stats.completedTotal }],
    },
    {
      name: BACKUP_METRIC_NAMES.failures,
      type: 'counter',
      help: 'Backups that failed since the manager started, by reason.',
      samples: [...stats.failuresByReason()].map(([reason, value]) => ({ labels: { reason }, value })),
    },
  ];
}
