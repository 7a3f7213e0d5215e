// One backup as the manager tracks it while it runs, and its view in the API. The record is
// mutated by the job only; handlers and status read snapshots through toView(). Records are
// written to the journal (journal.ts) at every state change and read back at start
// (recordFromJournal), so they outlive the process.
import { randomBytes } from 'node:crypto';
import type { Schemas } from '../../contract.js';

export type BackupType = 'rdb' | 'aof';
export type BackupState = 'saving' | 'uploading' | 'completed' | 'failed';
export type BackupView = Schemas['Backup'];
/** Where an entry of the catalogue was found: this manager's journal, the object store, or both. */
export type FoundIn = BackupView['foundIn'][number];

/**
 * Why a backup failed: a small fixed set, so it can be a metric label. The one list: the
 * record's type, the failure metric's label values and (checked by a test) the contract's
 * `errorCode` enum all come from it.
 */
export const FAILURE_CODES = [
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
  'interrupted',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export function isFailureCode(value: unknown): value is FailureCode {
  return (FAILURE_CODES as readonly unknown[]).includes(value);
}

/** What a backup id may be (the contract's BackupId): safe in a URL path and an object key. */
export const BACKUP_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isBackupId(value: unknown): value is string {
  return typeof value === 'string' && BACKUP_ID.test(value);
}

/** An error that knows which failure it is; anything else is reported as `fallback`. */
export class BackupFailure extends Error {
  override name = 'BackupFailure';
  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** A multipart upload in flight: enough to abort it after a crash. */
export interface PendingUpload {
  key: string;
  uploadId: string;
}

export interface BackupRecord {
  id: string;
  type: BackupType;
  upload: boolean;
  state: BackupState;
  startedAt: Date;
  saveDoneAt: Date | null;
  uploadStartedAt: Date | null;
  finishedAt: Date | null;
  bytesTotal: number | null;
  bytesUploaded: number | null;
  sha256: string | null;
  location: string | null;
  error: string | null;
  errorCode: FailureCode | null;
  /** The host (pod) that made the backup. */
  hostname: string | null;
  /** The multipart upload while the data object is being uploaded (journaled, never shown). */
  multipart: PendingUpload | null;
}

/**
 * Sortable, unique and URL-safe: 20261126T160059123Z-1a2b3c (UTC, to the millisecond). Ids
 * sort by their start time, which is what "newest" means in the catalogue and for retention:
 * two backups started within the same second must still sort in the order they were made.
 */
export function newBackupId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Sort order of the catalogue, retention and the journal: newest first (ids sort by their start). */
export function newestFirst(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function newRecord(type: BackupType, upload: boolean, now: Date, hostname: string): BackupRecord {
  return {
    id: newBackupId(now),
    type,
    upload,
    state: 'saving',
    startedAt: now,
    saveDoneAt: null,
    uploadStartedAt: null,
    finishedAt: null,
    bytesTotal: null,
    bytesUploaded: upload ? 0 : null,
    sha256: null,
    location: null,
    error: null,
    errorCode: null,
    hostname,
    multipart: null,
  };
}

function seconds(from: Date | null, to: Date | null): number | null {
  return from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : null;
}

export function isRunning(record: Pick<BackupRecord, 'state'>): boolean {
  return record.state === 'saving' || record.state === 'uploading';
}

export function toView(record: BackupRecord, foundIn: FoundIn[] = ['journal']): BackupView {
  return {
    id: record.id,
    type: record.type,
    state: record.state,
    upload: record.upload,
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
    saveSeconds: seconds(record.startedAt, record.saveDoneAt),
    uploadSeconds: seconds(record.uploadStartedAt, record.uploadStartedAt ? (record.finishedAt ?? new Date()) : null),
    bytesTotal: record.bytesTotal,
    bytesUploaded: record.bytesUploaded,
    sha256: record.sha256,
    location: record.location,
    error: record.error,
    errorCode: record.errorCode,
    hostname: record.hostname,
    foundIn,
  };
}

/** Errors are kept short in the journal: a line stays small whatever a storage answered. */
const ERROR_LIMIT = 2000;

/** The record as one journal line's JSON. */
export function recordToJournal(record: BackupRecord): Record<string, unknown> {
  return {
    ...record,
    error: record.error === null ? null : record.error.slice(0, ERROR_LIMIT),
    startedAt: record.startedAt.toISOString(),
    saveDoneAt: record.saveDoneAt?.toISOString() ?? null,
    uploadStartedAt: record.uploadStartedAt?.toISOString() ?? null,
    finishedAt: record.finishedAt?.toISOString() ?? null,
  };
}

const SHA256 = /^[0-9a-f]{64}$/;
const STATES: readonly unknown[] = ['saving', 'uploading', 'completed', 'failed'] satisfies BackupState[];

class NotARecord extends Error {}

function optional<T>(x: unknown, valid: (x: unknown) => x is T): T | null {
  if (x === null || x === undefined) return null;
  if (!valid(x)) throw new NotARecord();
  return x;
}
function required<T>(x: unknown, valid: (x: unknown) => x is T): T {
  if (!valid(x)) throw new NotARecord();
  return x;
}
const isString = (x: unknown): x is string => typeof x === 'string';
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isDateText = (x: unknown): x is string => typeof x === 'string' && !Number.isNaN(Date.parse(x));
const isSha256 = (x: unknown): x is string => typeof x === 'string' && SHA256.test(x);
const isType = (x: unknown): x is BackupType => x === 'rdb' || x === 'aof';
const isState = (x: unknown): x is BackupState => STATES.includes(x);
const isBoolean = (x: unknown): x is boolean => typeof x === 'boolean';
const isPendingUpload = (x: unknown): x is PendingUpload =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as PendingUpload).key === 'string' &&
  typeof (x as PendingUpload).uploadId === 'string';

/** A journal line's JSON back into a record; null when it is not one (a line we cannot trust). */
export function recordFromJournal(value: unknown): BackupRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const date = (x: unknown): Date | null => {
    const text = optional(x, isDateText);
    return text === null ? null : new Date(text);
  };
  try {
    return {
      id: required(v.id, isBackupId),
      type: required(v.type, isType),
      upload: required(v.upload, isBoolean),
      state: required(v.state, isState),
      startedAt: new Date(required(v.startedAt, isDateText)),
      saveDoneAt: date(v.saveDoneAt),
      uploadStartedAt: date(v.uploadStartedAt),
      finishedAt: date(v.finishedAt),
      bytesTotal: optional(v.bytesTotal, isCount),
      bytesUploaded: optional(v.bytesUploaded, isCount),
      sha256: optional(v.sha256, isSha256),
      location: optional(v.location, isString),
      error: optional(v.error, isString),
      errorCode: optional(v.errorCode, isFailureCode),
      hostname: optional(v.hostname, isString),
      multipart: optional(v.multipart, isPendingUpload),
    };
  } catch (err) {
    if (err instanceof NotARecord) return null;
    throw err;
  }
}
