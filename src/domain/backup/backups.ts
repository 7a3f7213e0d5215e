// The backups of this manager: starts one at a time (409 for a second), keeps the most recent
// ones in memory for GET /v1/backups and /v1/status, and feeds BackupStats for /metrics.
import type { Logger } from 'pino';
import type { S3Config } from '../../config/config.js';
import { ConflictError, ValidationError, messageOf } from '../../errors.js';
import type { RedisAdapter } from '../../redis/adapter.js';
import type { OperationGuard } from '../operation-guard.js';
import {
  BackupFailure,
  isRunning,
  newRecord,
  toView,
  type BackupRecord,
  type BackupType,
  type BackupView,
} from './backup-record.js';
import { BackupStats } from './backup-stats.js';
import { DEFAULT_TIMINGS, runBackup, type BackupTimings } from './backup-job.js';
import { loadSdk, PendingAborts } from './storage.js';

/** How many backups GET /v1/backups lists (the contract's maxItems). */
const HISTORY_LIMIT = 100;

/** How long after start the S3 SDK is loaded, when storage is configured. */
const SDK_PRELOAD_DELAY_MS = 5000;

export interface BackupsOptions {
  redis: RedisAdapter;
  dataDir: string;
  s3: S3Config | undefined;
  managerVersion: string;
  log: Logger;
  /** Shared with updates: a backup and an update never overlap (409). */
  operations: OperationGuard;
  timings?: Partial<BackupTimings>;
}

export interface BackupRequest {
  type?: BackupType;
  upload?: boolean;
}

export class Backups {
  readonly stats = new BackupStats();
  /** Most recent first. */
  private readonly history: BackupRecord[] = [];
  /** Multipart uploads to abort again before the next upload. */
  private readonly pendingAborts = new PendingAborts();
  private running: { record: BackupRecord; abort: AbortController; done: Promise<void> } | null = null;

  constructor(private readonly options: BackupsOptions) {
    // With storage configured the S3 SDK will be needed: load it in the background once the
    // manager is up (not during start-up, which an in-place upgrade waits for), so a backup's
    // memory and time are the upload's alone. Without storage it is never loaded.
    if (options.s3) {
      setTimeout(
        () => void loadSdk().catch((err: unknown) => options.log.warn({ err }, 'could not load the S3 SDK')),
        SDK_PRELOAD_DELAY_MS,
      ).unref();
    }
  }

  get storageConfigured(): boolean {
    return this.options.s3 !== undefined;
  }

  /** Starts a backup and returns at once; the job runs on. */
  start(request: BackupRequest): BackupView {
    const upload = request.upload ?? this.storageConfigured;
    if (upload && !this.storageConfigured) {
      throw new ValidationError('upload was requested but no object storage is configured (--s3-bucket)', [
        { path: 'upload', message: 'no object storage is configured' },
      ]);
    }
    if (this.running)
      throw new ConflictError(
        `backup ${this.running.record.id} is still ${this.running.record.state}; one backup at a time`,
      );
    const record = newRecord(request.type ?? 'rdb', upload, new Date());
    const lease = this.options.operations.begin('backup', `backup ${record.id}`);
    this.history.unshift(record);
    this.history.splice(HISTORY_LIMIT);
    const abort = new AbortController();
    this.stats.recordStart();
    const done = this.run(record, abort.signal).finally(() => {
      lease.release();
      this.running = null;
    });
    this.running = { record, abort, done };
    return toView(record);
  }

  private async run(record: BackupRecord, signal: AbortSignal): Promise<void> {
    const log = this.options.log.child({ backup: record.id });
    log.info({ type: record.type, upload: record.upload }, 'backup started');
    try {
      await runBackup(record, {
        redis: this.options.redis,
        dataDir: this.options.dataDir,
        s3: this.options.s3,
        managerVersion: this.options.managerVersion,
        timings: { ...DEFAULT_TIMINGS, ...this.options.timings },
        log,
        signal,
        pendingAborts: this.pendingAborts,
      });
      record.finishedAt = new Date();
      record.state = 'completed';
      const seconds = (record.finishedAt.getTime() - record.startedAt.getTime()) / 1000;
      this.stats.recordSuccess(record.finishedAt, seconds, record.bytesTotal ?? 0);
      log.info({ seconds, bytes: record.bytesTotal, location: record.location }, 'backup completed');
    } catch (err) {
      const failure = err instanceof BackupFailure ? err : new BackupFailure('snapshot_failed', messageOf(err));
      record.finishedAt = new Date();
      record.state = 'failed';
      record.error = failure.message;
      record.errorCode = failure.code;
      this.stats.recordFailure(failure.code);
      log.warn({ code: failure.code, error: failure.message }, 'backup failed');
    }
  }

  get(id: string): BackupView | undefined {
    const record = this.history.find((r) => r.id === id);
    return record ? toView(record) : undefined;
  }

  list(): BackupView[] {
    return this.history.map(toView);
  }

  last(): BackupView | null {
    return this.history[0] ? toView(this.history[0]) : null;
  }

  get busy(): boolean {
    return this.running !== null && isRunning(this.running.record);
  }

  /** Resolves when the running backup (if any) has ended; for shutdown and tests. */
  async idle(): Promise<void> {
    await this.running?.done;
  }

  /** Shutdown: aborts the running backup (its upload is aborted too) and waits for it to end. */
  async stop(graceMs = 10_000): Promise<void> {
    this.running?.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([this.idle(), late]);
    clearTimeout(timer);
  }
}
