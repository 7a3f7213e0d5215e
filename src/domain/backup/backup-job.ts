// One backup from start to end: save, open what was saved, upload the data object, then
// metadata.json. The record is updated as it goes (that is the progress the API shows) and
// persisted at each state change (`persist`, the journal); any failure ends in state `failed`
// with a reason, and leaves no object in storage.
import type { Logger } from 'pino';
import type { S3Config } from '../../config/config.js';
import type { RedisAdapter } from '../../redis/adapter.js';
import { BackupFailure, type BackupRecord, type FailureCode } from './backup-record.js';
import { buildMetadata, METADATA_NAME } from './metadata.js';
import { runSave, type SaveOptions } from './save.js';
import { openSnapshot, redisFiles, type Snapshot } from './snapshot.js';
import { uploadObject } from './multipart-upload.js';
import { backupPrefix, createS3Client, deleteObject, putSmallObject, s3Url, type PendingAborts } from './storage.js';
import { messageOf } from '../../errors.js';

export interface BackupTimings {
  pollMs: number;
  saveTimeoutMs: number;
  unreachableGraceMs: number;
}

export const DEFAULT_TIMINGS: BackupTimings = {
  pollMs: 200,
  // Bounded, but generous: a save of a very large dataset on a slow disk takes a while.
  saveTimeoutMs: 2 * 60 * 60 * 1000,
  unreachableGraceMs: 30_000,
};

export interface JobContext {
  redis: RedisAdapter;
  dataDir: string;
  s3: S3Config | undefined;
  managerVersion: string;
  timings: BackupTimings;
  log: Logger;
  signal: AbortSignal;
  pendingAborts: PendingAborts;
  /** The host (pod) name recorded in metadata.json. */
  hostname: string;
  /** Records the record's current state durably (the journal); never throws. */
  persist: () => Promise<void>;
}

function asFailure(err: unknown, fallback: FailureCode): BackupFailure {
  if (err instanceof BackupFailure) return err;
  return new BackupFailure(fallback, messageOf(err));
}

export async function runBackup(record: BackupRecord, context: JobContext): Promise<void> {
  const saveOptions: SaveOptions = {
    pollMs: context.timings.pollMs,
    timeoutMs: context.timings.saveTimeoutMs,
    unreachableGraceMs: context.timings.unreachableGraceMs,
    signal: context.signal,
  };
  const saved = await runSave(context.redis, record.type, saveOptions).catch((err: unknown) => {
    throw asFailure(err, 'save_failed');
  });
  record.saveDoneAt = new Date();
  const files = await redisFiles(context.redis, context.dataDir);
  if (!record.upload || !context.s3) {
    // The save is the backup. Its size is a courtesy: an attached Redis may be elsewhere.
    const local = await openSnapshot(record.type, context.redis, files).catch(() => null);
    record.bytesTotal = local?.size ?? null;
    await local?.close();
    return;
  }
  const snapshot = await openSnapshot(record.type, context.redis, files);
  try {
    record.bytesTotal = snapshot.size;
    record.state = 'uploading';
    record.uploadStartedAt = new Date();
    await context.persist();
    await upload(record, snapshot, saved, context, context.s3);
  } finally {
    await snapshot.close();
  }
}

async function upload(
  record: BackupRecord,
  snapshot: Snapshot,
  saved: Awaited<ReturnType<typeof runSave>>,
  context: JobContext,
  s3: S3Config,
): Promise<void> {
  const client = await createS3Client(s3);
  const prefix = backupPrefix(s3.prefix, record.id);
  const dataKey = prefix + snapshot.objectName;
  try {
    if (context.pendingAborts.pending.length > 0) {
      await context.pendingAborts.retry(client);
      if (context.pendingAborts.pending.length > 0)
        context.log.warn(
          { uploads: context.pendingAborts.pending },
          'multipart uploads of failed backups still not aborted',
        );
    }
    const sha256 = await uploadObject({
      client,
      bucket: s3.bucket,
      key: dataKey,
      source: snapshot.source(),
      size: snapshot.size,
      onProgress: (bytes) => (record.bytesUploaded = Math.min(bytes, snapshot.size)),
      onCreated: async (multipart) => {
        record.multipart = multipart;
        await context.persist();
      },
      signal: context.signal,
      pendingAborts: context.pendingAborts,
    });
    record.bytesUploaded = snapshot.size;
    const metadata = buildMetadata({
      id: record.id,
      type: record.type,
      object: snapshot.objectName,
      size: snapshot.size,
      sha256,
      createdAt: record.startedAt,
      lastSave: snapshot.lastSave,
      before: saved.before,
      after: saved.after,
      managerVersion: context.managerVersion,
      aof: snapshot.aof,
      hostname: context.hostname,
    });
    try {
      await putSmallObject(
        client,
        s3.bucket,
        prefix + METADATA_NAME,
        JSON.stringify(metadata, null, 2) + '\n',
        context.signal,
      );
    } catch (err) {
      // Without metadata the data object is not a backup: take it back.
      const removed = await deleteObject(client, s3.bucket, dataKey);
      if (!removed)
        context.log.warn({ key: dataKey }, 'could not delete the data object of a backup whose metadata failed');
      throw err;
    }
    record.sha256 = sha256;
    record.location = s3Url(s3.bucket, prefix);
  } finally {
    client.destroy();
  }
}
