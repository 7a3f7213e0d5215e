// One backup as the manager tracks it while it runs, and its view in the API. The record is
// mutated by the job only; handlers and status read snapshots through toView().
import { randomBytes } from 'node:crypto';
import type { Schemas } from '../../contract.js';

export type BackupType = 'rdb' | 'aof';
export type BackupState = 'saving' | 'uploading' | 'completed' | 'failed';
export type BackupView = Schemas['Backup'];

/** Why a backup failed: a small fixed set, so it can be a metric label. */
export type FailureCode =
  | 'redis_unavailable'
  | 'save_failed'
  | 'redis_restarted'
  | 'save_timeout'
  | 'snapshot_failed'
  | 'storage_unreachable'
  | 'storage_denied'
  | 'storage_no_bucket'
  | 'storage_error'
  | 'shutdown';

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
}

/** Sortable, unique and URL-safe: 20261126T160059Z-1a2b3c. */
export function newBackupId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function newRecord(type: BackupType, upload: boolean, now: Date): BackupRecord {
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
  };
}

function seconds(from: Date | null, to: Date | null): number | null {
  return from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : null;
}

export function isRunning(record: BackupRecord): boolean {
  return record.state === 'saving' || record.state === 'uploading';
}

export function toView(record: BackupRecord): BackupView {
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
  };
}
