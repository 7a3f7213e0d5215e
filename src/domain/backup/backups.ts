// The backups of this manager: starts one at a time (409 for a second, through the operation
// guard), records every state change in the journal so the history survives restarts and
// execs, lists the catalogue (journal + object store), deletes on request and by the
// retention policy after each successful upload, and feeds BackupStats for /metrics.
//
// Whether a backup is in progress has one source: `running`, the job this module started and
// has not seen end. The journal never says "running" for a backup this process is not
// running: whatever it read back as running was interrupted, and is settled at start.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { S3Config } from '../../config/config.js';
import type { Schemas } from '../../contract.js';
import { ConflictError, NotFoundError, StorageUnavailableError, ValidationError, messageOf } from '../../errors.js';
import type { RedisAdapter } from '../../redis/adapter.js';
import type { Family } from '../metrics/exposition.js';
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
import { backupFamilies, BackupStats } from './backup-stats.js';
import { DEFAULT_TIMINGS, runBackup, type BackupTimings } from './backup-job.js';
import { mergeCatalogue, page, type StorageListing } from './catalogue.js';
import { BackupJournal, JOURNAL_KEEP } from './journal.js';
import { ObjectStore } from './object-store.js';
import { retentionEnabled, selectForDeletion, type RetentionPolicy } from './retention.js';
import { loadSdk, PendingAborts } from './storage.js';
import { isUsable } from './stored-backups.js';

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
  retention?: RetentionPolicy;
  timings?: Partial<BackupTimings>;
  /** The name recorded as the backup's maker (default: the host name, the pod's name). */
  hostname?: string;
}

export interface BackupRequest {
  type?: BackupType;
  upload?: boolean;
}

/** What GET /v1/backups answers. */
export type BackupListing = Schemas['BackupList'];
/** What DELETE /v1/backups/{id} answers. */
export type BackupDeletion = Schemas['BackupDeletion'];

export class Backups {
  readonly stats = new BackupStats();
  /** Multipart uploads to abort again before the next upload. */
  private readonly pendingAborts = new PendingAborts();
  private running: { record: BackupRecord; abort: AbortController; done: Promise<void> } | null = null;
  /** Backups found interrupted at start whose storage side is not settled yet. */
  private readonly unsettled: BackupRecord[] = [];
  /** Retention runs, one after the other. */
  private retention: Promise<void> = Promise.resolve();
  private readonly store: ObjectStore | null;
  private readonly policy: RetentionPolicy;
  private readonly hostname: string;

  private constructor(
    private readonly options: BackupsOptions,
    private readonly journal: BackupJournal,
    /** This manager's backups from the journal, by id. */
    private readonly records: Map<string, BackupRecord>,
  ) {
    this.store = options.s3 ? new ObjectStore(options.s3) : null;
    this.policy = options.retention ?? { count: null, days: null };
    this.hostname = options.hostname ?? hostname();
  }

  /** Reads the journal back; a backup it says was running was interrupted and is marked so. */
  static async open(options: BackupsOptions): Promise<Backups> {
    const { journal, records } = await BackupJournal.open(options.dataDir, options.log);
    const backups = new Backups(options, journal, new Map(records.map((r) => [r.id, r])));
    await backups.markInterrupted();
    // The "last successful backup" gauges survive a restart: `records` is newest first.
    const last = records.find((r) => r.state === 'completed' && r.finishedAt);
    if (last?.finishedAt)
      backups.stats.seedLastSuccess(
        last.finishedAt,
        (last.finishedAt.getTime() - last.startedAt.getTime()) / 1000,
        last.bytesTotal ?? 0,
      );
    // With storage configured the S3 SDK will be needed: load it in the background once the
    // manager is up (not during start-up, which an in-place upgrade waits for), so a backup's
    // memory and time are the upload's alone. Without storage it is never loaded.
    if (options.s3) {
      setTimeout(
        () => void loadSdk().catch((err: unknown) => options.log.warn({ err }, 'could not load the S3 SDK')),
        SDK_PRELOAD_DELAY_MS,
      ).unref();
    }
    return backups;
  }

  get storageConfigured(): boolean {
    return this.store !== null;
  }

  /** Starts a backup and returns at once; the job runs on. */
  start(request: BackupRequest): BackupView {
    const upload = request.upload ?? this.storageConfigured;
    if (upload && !this.storageConfigured) {
      throw new ValidationError('upload was requested but no object storage is configured (--s3-bucket)', [
        { path: 'upload', message: 'no object storage is configured' },
      ]);
    }
    const record = newRecord(request.type ?? 'rdb', upload, new Date(), this.hostname);
    // One backup at a time, and none beside an update: the guard answers 409 for both.
    const lease = this.options.operations.begin('backup', `backup ${record.id}`);
    this.records.set(record.id, record);
    // The journal keeps the newest JOURNAL_KEEP; so does memory.
    if (this.records.size > JOURNAL_KEEP) this.records.delete([...this.records.keys()].sort()[0]);
    const abort = new AbortController();
    // Called by the job once its outcome is journaled, and again when it ends (in case it
    // threw first): by then a next backup may be running, which it must not forget.
    const settle = () => {
      lease.release();
      if (this.running?.record === record) this.running = null;
    };
    const done = this.run(record, abort.signal, settle).finally(settle);
    this.running = { record, abort, done };
    return toView(record);
  }

  /** Records the backup's state in the journal; a journal that cannot be written is logged, not fatal. */
  private async persist(record: BackupRecord): Promise<void> {
    try {
      await this.journal.write(record);
    } catch (err) {
      this.options.log.error(
        { backup: record.id, err: messageOf(err) },
        'could not write the backup journal; this state will not survive a restart',
      );
    }
  }

  /**
   * The job. Its outcome is journaled first, then `settle` ends its lease, and only then do
   * readers see it finished: an operator that sees `completed` and starts the next backup at
   * once must not get a 409 from a lease this one still holds.
   */
  private async run(record: BackupRecord, signal: AbortSignal, settle: () => void): Promise<void> {
    const log = this.options.log.child({ backup: record.id });
    log.info({ type: record.type, upload: record.upload }, 'backup started');
    await this.persist(record);
    let outcome: Pick<BackupRecord, 'finishedAt' | 'state' | 'multipart'> &
      Partial<Pick<BackupRecord, 'error' | 'errorCode'>>;
    try {
      if (record.upload) await this.settleInterrupted();
      await runBackup(record, {
        redis: this.options.redis,
        dataDir: this.options.dataDir,
        s3: this.options.s3,
        managerVersion: this.options.managerVersion,
        timings: { ...DEFAULT_TIMINGS, ...this.options.timings },
        log,
        signal,
        pendingAborts: this.pendingAborts,
        hostname: this.hostname,
        persist: () => this.persist(record),
      });
      const finishedAt = new Date();
      outcome = { finishedAt, state: 'completed', multipart: null };
      const seconds = (finishedAt.getTime() - record.startedAt.getTime()) / 1000;
      this.stats.recordSuccess(finishedAt, seconds, record.bytesTotal ?? 0);
      log.info({ seconds, bytes: record.bytesTotal, location: record.location }, 'backup completed');
    } catch (err) {
      const failure = err instanceof BackupFailure ? err : new BackupFailure('snapshot_failed', messageOf(err));
      outcome = {
        finishedAt: new Date(),
        state: 'failed',
        error: failure.message,
        errorCode: failure.code,
        multipart: null,
      };
      this.stats.recordFailure(failure.code);
      log.warn({ code: failure.code, error: failure.message }, 'backup failed');
    }
    await this.persist({ ...record, ...outcome });
    settle();
    Object.assign(record, outcome);
    if (record.state === 'completed' && record.upload) void this.applyRetention();
  }

  /**
   * Start-up: a backup the journal says was running died with the previous process (killed,
   * crashed, or its pod lost). It is failed as `interrupted` at once, so nothing ever shows a
   * backup running that is not; its storage side (multipart upload, stray object) is settled
   * in the background.
   */
  private async markInterrupted(): Promise<void> {
    for (const record of this.records.values()) {
      if (!isRunning(record)) continue;
      const was = record.state;
      record.state = 'failed';
      record.errorCode = 'interrupted';
      record.error = `the manager stopped (killed, crashed or its pod lost) while this backup was ${was}`;
      record.finishedAt = new Date();
      this.stats.recordFailure('interrupted');
      this.options.log.warn({ backup: record.id, was }, 'backup interrupted by the end of the previous manager');
      await this.persist(record);
      if (record.upload) this.unsettled.push(record);
    }
    if (this.unsettled.length > 0) void this.settleInterrupted();
  }

  /** Settles the interrupted backups against storage; what cannot be settled now is tried again before the next upload. */
  private async settleInterrupted(): Promise<void> {
    const store = this.store;
    if (!store) return;
    for (const record of [...this.unsettled]) {
      try {
        const outcome = await store.settle(record);
        record.multipart = null;
        this.unsettled.splice(this.unsettled.indexOf(record), 1);
        await this.persist(record);
        this.options.log.info(
          { backup: record.id, outcome },
          outcome === 'completed'
            ? 'an interrupted backup had completed in storage; recorded as completed'
            : 'aborted the upload of an interrupted backup',
        );
      } catch (err) {
        this.options.log.warn(
          { backup: record.id, err: messageOf(err) },
          'could not settle an interrupted backup in storage yet; will try again before the next upload',
        );
      }
    }
  }

  /** The storage side of the catalogue, or why it could not be read. */
  private async storageListing(): Promise<StorageListing | BackupFailure | null> {
    if (!this.store) return null;
    try {
      return await this.store.listing();
    } catch (err) {
      if (err instanceof BackupFailure) return err;
      throw err;
    }
  }

  /** Forgets journal records of backups deleted from storage by someone else. */
  private async forget(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.records.delete(id);
      await this.journal
        .remove(id)
        .catch((err: unknown) =>
          this.options.log.warn({ backup: id, err: messageOf(err) }, 'could not record a deletion in the journal'),
        );
    }
  }

  /** GET /v1/backups: the journal merged with the object store, newest first, one page. */
  async list(limit: number, after?: string): Promise<BackupListing> {
    const listing = await this.storageListing();
    const storage = listing instanceof BackupFailure ? null : listing;
    const catalogue = mergeCatalogue([...this.records.values()], storage);
    await this.forget(catalogue.gone);
    return {
      ...page(catalogue.items, limit, after),
      storage: !this.store ? 'not-configured' : !storage ? 'unavailable' : storage.complete ? 'listed' : 'incomplete',
      storageError: listing instanceof BackupFailure ? listing.message : (storage?.problem ?? null),
    };
  }

  /**
   * GET /v1/backups/{id}: from the journal, and from storage when it may be there (another
   * pod's backup, or one of ours that was uploaded). A running backup is answered from memory.
   * 503 when only storage could tell and it cannot be read.
   */
  async get(id: string): Promise<BackupView> {
    const record = this.records.get(id);
    if (!this.store) {
      if (!record)
        throw new NotFoundError(`no backup ${id} in this manager's journal (no object storage is configured)`);
      return toView(record);
    }
    if (record && (isRunning(record) || !record.upload)) return toView(record);
    let listing: StorageListing;
    try {
      listing = await this.store.listing(id);
    } catch (err) {
      if (!(err instanceof BackupFailure)) throw err;
      if (record) return toView(record);
      throw new StorageUnavailableError(`backup ${id} is not in this manager's journal and ${err.message}`);
    }
    const catalogue = mergeCatalogue(record ? [record] : [], listing);
    await this.forget(catalogue.gone);
    const found = catalogue.items.find((b) => b.id === id);
    if (!found) throw new NotFoundError(`no backup ${id} in this manager's journal or in storage`);
    return found;
  }

  /**
   * DELETE /v1/backups/{id}: removes the backup's objects from storage (data first,
   * metadata.json last) and its record from the journal. 409 for a running backup, and for
   * the newest usable backup unless `force`; 503 when the catalogue cannot be read completely
   * (nothing is deleted then).
   */
  async remove(id: string, force: boolean): Promise<BackupDeletion> {
    const record = this.records.get(id);
    if (record && isRunning(record)) throw new ConflictError(`backup ${id} is still ${record.state}`);
    let deletedObjects: string[] = [];
    if (this.store) {
      const listing = await this.storageListing();
      if (listing instanceof BackupFailure || !listing?.complete)
        throw new StorageUnavailableError(
          `the backup catalogue in storage cannot be read completely (${listing instanceof BackupFailure ? listing.message : listing?.problem}); nothing was deleted`,
        );
      const stored = listing.backups.find((b) => b.id === id);
      const newest = listing.backups.find(isUsable);
      if (stored && newest?.id === id && !force)
        throw new ConflictError(
          `backup ${id} is the newest completed backup in storage; it is kept unless asked with force=true`,
        );
      if (stored) {
        try {
          deletedObjects = await this.store.delete(stored);
        } catch (err) {
          throw new StorageUnavailableError(
            `backup ${id} could not be deleted completely: ${messageOf(err)}; what is left stays listed until a retry or the retention policy finishes it`,
          );
        }
        this.stats.recordDeletion('request');
        this.options.log.info({ backup: id, objects: deletedObjects, force }, 'backup deleted on request');
      }
      if (!stored && !record) throw new NotFoundError(`no backup ${id} in this manager's journal or in storage`);
    } else if (!record) {
      throw new NotFoundError(`no backup ${id} in this manager's journal`);
    }
    await this.forget([id]);
    return { id, deletedObjects };
  }

  /**
   * The retention policy, after a successful upload: from a complete listing only, deletes
   * what the policy lets go (never the newest usable backup). A failed delete leaves the
   * rest for the next run, which finishes the job.
   */
  applyRetention(): Promise<void> {
    const store = this.store;
    if (!store || !retentionEnabled(this.policy)) return Promise.resolve();
    const log = this.options.log.child({ retention: this.policy });
    const run = this.retention.then(async () => {
      const listing = await this.storageListing();
      if (listing instanceof BackupFailure || !listing?.complete) {
        this.stats.recordRetentionRun('skipped');
        log.warn(
          { err: listing instanceof BackupFailure ? listing.message : listing?.problem },
          'retention skipped: the backup catalogue in storage cannot be read completely; nothing deleted',
        );
        return;
      }
      const doomed = selectForDeletion(listing.backups, this.policy, new Date());
      try {
        for (const backup of doomed) {
          const keys = await store.delete(backup);
          this.stats.recordDeletion('retention');
          await this.forget([backup.id]);
          log.info({ backup: backup.id, objects: keys }, 'backup deleted by the retention policy');
        }
        this.stats.recordRetentionRun('completed');
      } catch (err) {
        this.stats.recordRetentionRun('failed');
        log.warn({ err: messageOf(err) }, 'retention stopped at a delete that failed; the next run finishes it');
      }
    });
    this.retention = run.catch((err: unknown) => log.error({ err }, 'retention run failed'));
    return this.retention;
  }

  /** The most recent backup in the journal (for /v1/status); no storage call. */
  last(): BackupView | null {
    let newest: BackupRecord | null = null;
    for (const record of this.records.values()) if (!newest || record.id > newest.id) newest = record;
    return newest ? toView(newest) : null;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** The backup metric families, read at every scrape. */
  families(): Family[] {
    return backupFamilies(this.stats, this.busy);
  }

  /** Resolves when the running backup (if any) and the retention after it have ended; for shutdown and tests. */
  async idle(): Promise<void> {
    await this.running?.done;
    await this.retention;
    await this.journal.flushed();
  }

  /** Shutdown: aborts the running backup (its upload is aborted too) and waits for it to end. */
  async stop(graceMs = 10_000): Promise<void> {
    this.running?.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([this.idle(), late]);
    clearTimeout(timer);
    this.store?.close();
  }
}
