// The cluster's prefix in the object store, as the Backups module uses it between uploads:
// one S3 client kept for reads and deletes, the metadata cache, and a deadline on every call
// an API request waits for (a storage that does not answer makes a list say so, never hang).
// Also settles the backups a manager died in the middle of.
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config.js';
import { BackupFailure, type BackupRecord } from './backup-record.js';
import { METADATA_NAME } from './metadata.js';
import { deleteStoredBackup } from './retention.js';
import {
  abortMultipart,
  backupPrefix,
  clusterPrefix,
  createS3Client,
  deleteKey,
  listMultipartUploads,
  listObjects,
  s3Url,
  type MultipartUpload,
} from './storage.js';
import { isUsable, MetadataCache, readStoredBackups, type StoredBackup } from './stored-backups.js';
import type { StorageListing } from './catalogue.js';

/** How long an API request waits for the storage. */
export const STORAGE_DEADLINE_MS = 15_000;

export class ObjectStore {
  private clientPromise: Promise<S3Client> | null = null;
  private readonly cache = new MetadataCache();

  constructor(
    readonly s3: S3Config,
    private readonly deadlineMs = STORAGE_DEADLINE_MS,
  ) {}

  private client(): Promise<S3Client> {
    this.clientPromise ??= createS3Client(this.s3);
    return this.clientPromise;
  }

  /** Runs `call` with a deadline; an expired one is storage_unreachable, saying so. */
  private async bounded<T>(what: string, call: (client: S3Client, signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.deadlineMs);
    try {
      return await call(await this.client(), signal);
    } catch (err) {
      if (signal.aborted)
        throw new BackupFailure(
          'storage_unreachable',
          `${what}: the storage did not answer within ${this.deadlineMs / 1000} s`,
        );
      throw err;
    }
  }

  /** The whole catalogue under the prefix (or one backup's entry, with `id`). */
  async listing(id?: string): Promise<StorageListing> {
    const startedAt = new Date();
    const read = await this.bounded('listing the backups in storage', (client, signal) =>
      readStoredBackups({ client, bucket: this.s3.bucket, prefix: this.s3.prefix, id, cache: this.cache, signal }),
    );
    return { ...read, startedAt, root: s3Url(this.s3.bucket, clusterPrefix(this.s3.prefix)) };
  }

  /** Deletes one backup's objects (data first, metadata.json last); resolves to the keys deleted. */
  async delete(backup: StoredBackup): Promise<string[]> {
    return this.bounded(`deleting backup ${backup.id}`, (client, signal) =>
      deleteStoredBackup(client, this.s3.bucket, backup, signal),
    );
  }

  /**
   * A backup the manager died in the middle of, settled against storage: `completed` when its
   * metadata.json made it (the record is filled in from it), else `cleaned`: its multipart
   * uploads are aborted (the journaled one and any other under its prefix) and a data object
   * left without metadata is deleted. Throws a BackupFailure while the storage cannot be told.
   */
  async settle(record: BackupRecord): Promise<'completed' | 'cleaned'> {
    const found = (await this.listing(record.id)).backups.find((b) => b.id === record.id);
    if (found && isUsable(found)) {
      Object.assign(record, {
        state: 'completed',
        sha256: found.metadata.sha256,
        bytesTotal: found.metadata.size,
        bytesUploaded: found.metadata.size,
        location: found.location,
        error: null,
        errorCode: null,
        finishedAt: found.finishedAt ?? record.finishedAt,
      } satisfies Partial<BackupRecord>);
      return 'completed';
    }
    const prefix = backupPrefix(this.s3.prefix, record.id);
    await this.bounded(`cleaning up after backup ${record.id}`, async (client, signal) => {
      const uploads: MultipartUpload[] = await listMultipartUploads(client, this.s3.bucket, prefix, signal);
      const journaled = record.multipart;
      if (journaled && !uploads.some((u) => u.uploadId === journaled.uploadId))
        uploads.push({ bucket: this.s3.bucket, ...journaled });
      for (const upload of uploads) {
        if (!(await abortMultipart(client, upload)))
          throw new BackupFailure('storage_error', `could not abort the multipart upload of ${upload.key}`);
      }
      // Listed after the aborts: a data object whose upload completed just before is seen too.
      // Nothing here is a backup (no usable metadata), so all of it goes, metadata.json last.
      const { objects } = await listObjects(client, this.s3.bucket, prefix, signal);
      const keys = objects
        .map((o) => o.key)
        .sort((a, b) => Number(a.endsWith(`/${METADATA_NAME}`)) - Number(b.endsWith(`/${METADATA_NAME}`)));
      for (const key of keys) await deleteKey(client, this.s3.bucket, key, signal);
    });
    return 'cleaned';
  }

  close(): void {
    void this.clientPromise?.then((client) => client.destroy()).catch(() => {});
    this.clientPromise = null;
  }
}
