// Backup figures for /metrics: the last successful backup (when, how long, how big), failures
// counted by reason, deletions and retention runs. The domain keeps the figures
// (BackupStats); the metrics module exposes them through backupFamilies(), read at every
// scrape, so nothing has to push values around. Whether a backup is in progress is not kept
// here: it is the Backups module's running job, passed in at each scrape.
import type { Family } from '../metrics/exposition.js';
import { FAILURE_CODES, type FailureCode } from './backup-record.js';

/** Why a backup was deleted: by the retention policy, or by DELETE /v1/backups/{id}. */
export const DELETION_TRIGGERS = ['retention', 'request'] as const;
export type DeletionTrigger = (typeof DELETION_TRIGGERS)[number];

/**
 * How a retention run ended: `completed` (everything the policy let go was deleted),
 * `skipped` (the catalogue could not be read completely, so nothing was deleted), `failed`
 * (a delete failed; the next run finishes the job).
 */
export const RETENTION_OUTCOMES = ['completed', 'skipped', 'failed'] as const;
export type RetentionOutcome = (typeof RETENTION_OUTCOMES)[number];

const zeroes = <K extends string>(keys: readonly K[]) => new Map<K, number>(keys.map((k) => [k, 0]));

export class BackupStats {
  private lastSuccess: { at: Date; durationSeconds: number; sizeBytes: number } | null = null;
  private readonly failures = zeroes(FAILURE_CODES);
  private readonly deletions = zeroes(DELETION_TRIGGERS);
  private readonly retentionRuns = zeroes(RETENTION_OUTCOMES);
  private completed = 0;

  recordSuccess(at: Date, durationSeconds: number, sizeBytes: number): void {
    this.completed++;
    this.lastSuccess = { at, durationSeconds, sizeBytes };
  }

  /** At start: the last success the journal remembers (the counters start at 0 with the process). */
  seedLastSuccess(at: Date, durationSeconds: number, sizeBytes: number): void {
    this.lastSuccess = { at, durationSeconds, sizeBytes };
  }

  recordFailure(code: FailureCode): void {
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  recordDeletion(trigger: DeletionTrigger): void {
    this.deletions.set(trigger, (this.deletions.get(trigger) ?? 0) + 1);
  }

  recordRetentionRun(outcome: RetentionOutcome): void {
    this.retentionRuns.set(outcome, (this.retentionRuns.get(outcome) ?? 0) + 1);
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

  /** Failures since the manager started, by reason (every reason present, 0 when none). */
  failuresByReason(): ReadonlyMap<FailureCode, number> {
    return this.failures;
  }

  deletionsByTrigger(): ReadonlyMap<DeletionTrigger, number> {
    return this.deletions;
  }

  retentionRunsByOutcome(): ReadonlyMap<RetentionOutcome, number> {
    return this.retentionRuns;
  }
}

export const BACKUP_METRIC_NAMES = {
  lastSuccess: 'instance_manager_backup_last_success_timestamp_seconds',
  lastDuration: 'instance_manager_backup_last_duration_seconds',
  lastSize: 'instance_manager_backup_last_size_bytes',
  completed: 'instance_manager_backups_completed_total',
  failures: 'instance_manager_backup_failures_total',
  inProgress: 'instance_manager_backup_in_progress',
  deleted: 'instance_manager_backups_deleted_total',
  retentionRuns: 'instance_manager_backup_retention_runs_total',
} as const;

function counter<K extends string>(name: string, help: string, label: string, values: ReadonlyMap<K, number>): Family {
  return {
    name,
    type: 'counter',
    help,
    samples: [...values].map(([key, value]) => ({ labels: { [label]: key }, value })),
  };
}

/**
 * The backup metric families, read from the stats at every scrape. Before the first
 * successful backup the last-success gauges are 0, so that
 * `time() - instance_manager_backup_last_success_timestamp_seconds` is huge and a "no recent
 * backup" alert fires for a node that never had one.
 */
export function backupFamilies(stats: BackupStats, inProgress: boolean): Family[] {
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
    gauge(BACKUP_METRIC_NAMES.inProgress, '1 while a backup is saving or uploading.', inProgress ? 1 : 0),
    {
      name: BACKUP_METRIC_NAMES.completed,
      type: 'counter',
      help: 'Backups that completed since the manager started.',
      samples: [{ value: stats.completedTotal }],
    },
    counter(
      BACKUP_METRIC_NAMES.failures,
      'Backups that failed since the manager started, by reason.',
      'reason',
      stats.failuresByReason(),
    ),
    counter(
      BACKUP_METRIC_NAMES.deleted,
      'Backups deleted from object storage since the manager started, by what deleted them (retention policy or request).',
      'trigger',
      stats.deletionsByTrigger(),
    ),
    counter(
      BACKUP_METRIC_NAMES.retentionRuns,
      'Retention runs since the manager started, by outcome (skipped: the catalogue could not be read completely, nothing deleted).',
      'outcome',
      stats.retentionRunsByOutcome(),
    ),
  ];
}
