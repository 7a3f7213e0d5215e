// The backups in the object store: every `<prefix><id>/` that holds a metadata.json, read and
// checked. This is the catalogue's source of truth (as in Barman): whichever pod made a
// backup, it is found here; a backup is usable when its metadata verifies and its data object
// is present. Shared by the list API, retention and `restore … /latest`.
import type { S3Client } from '@aws-sdk/client-s3';
import { BackupFailure, isBackupId, newestFirst } from './backup-record.js';
import { METADATA_NAME, parseMetadata, type BackupMetadata } from './metadata.js';
import { clusterPrefix, listObjects, readSmallObject, type StoredObject } from './storage.js';

const METADATA_LIMIT = 1024 * 1024;
/** metadata.json files read at once. */
const READ_CONCURRENCY = 8;

export interface StoredBackup {
  id: string;
  /** s3://bucket/<prefix><id>/ */
  location: string;
  /** Every key under the backup's prefix: what deleting it removes. */
  keys: string[];
  metadataKey: string;
  /** When metadata.json was written: the end of the upload. */
  finishedAt: Date | null;
  /** The parsed metadata, or null when it does not verify (see `problem`). */
  metadata: BackupMetadata | null;
  /** The data object named by the metadata is in storage. */
  dataPresent: boolean;
  problem: string | null;
}

export type UsableBackup = StoredBackup & { metadata: BackupMetadata };

/** Usable for a restore: the metadata verifies and the data object is there. */
export function isUsable(backup: StoredBackup): backup is UsableBackup {
  return backup.metadata !== null && backup.dataPresent;
}

export interface StoredCatalogue {
  /** Newest first (ids sort by start time). */
  backups: StoredBackup[];
  /** False when part of the prefix could not be read (too many keys, a metadata.json unreadable). */
  complete: boolean;
  /** What could not be read, when not complete. */
  problem: string | null;
}

/**
 * Parsed metadata.json by key, size and mtime: a backup's metadata never changes once
 * written, so a listing reads only the ones it has not seen.
 */
export class MetadataCache {
  private readonly entries = new Map<string, BackupMetadata | string>();
  constructor(private readonly limit = 5000) {}

  get(object: StoredObject): BackupMetadata | string | undefined {
    return this.entries.get(cacheKey(object));
  }

  set(object: StoredObject, value: BackupMetadata | string): void {
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(cacheKey(object), value);
  }
}

function cacheKey(o: StoredObject): string {
  return `${o.key}\n${o.size}\n${o.lastModified?.getTime() ?? ''}`;
}

export interface StoredBackupsRequest {
  client: S3Client;
  bucket: string;
  /** The cluster's prefix (--s3-prefix), as configured. */
  prefix: string;
  /** Only this backup (one listing of its own prefix instead of the whole catalogue). */
  id?: string;
  cache?: MetadataCache;
  signal?: AbortSignal;
}

/** Reads the backups under the prefix. Throws a BackupFailure when the storage cannot be listed. */
export async function readStoredBackups(request: StoredBackupsRequest): Promise<StoredCatalogue> {
  const root = clusterPrefix(request.prefix);
  const listed = await listObjects(
    request.client,
    request.bucket,
    request.id ? `${root}${request.id}/` : root,
    request.signal,
  );
  const groups = new Map<string, StoredObject[]>();
  for (const object of listed.objects) {
    const rest = object.key.slice(root.length);
    const slash = rest.indexOf('/');
    const id = rest.slice(0, slash);
    if (slash <= 0 || !isBackupId(id)) continue;
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id)!.push(object);
  }
  const problems: string[] = listed.complete ? [] : ['too many objects under the prefix to list them all'];
  const found: StoredBackup[] = [];
  const work = [...groups].flatMap(([id, objects]) => {
    const metadataObject = objects.find((o) => o.key === `${root}${id}/${METADATA_NAME}`);
    // No metadata.json: an upload in progress (or one that failed); not a backup.
    return metadataObject ? [{ id, objects, metadataObject }] : [];
  });
  const next = async (): Promise<void> => {
    for (let item = work.shift(); item; item = work.shift()) {
      const { id, objects, metadataObject } = item;
      let parsed = request.cache?.get(metadataObject);
      if (parsed === undefined) {
        try {
          const text = await readSmallObject(
            request.client,
            request.bucket,
            metadataObject.key,
            METADATA_LIMIT,
            request.signal,
          );
          if (text === null) continue; // deleted since the listing
          parsed = verify(id, text.toString('utf8'));
          request.cache?.set(metadataObject, parsed);
        } catch (err) {
          if (!(err instanceof BackupFailure)) throw err;
          problems.push(err.message);
          continue;
        }
      }
      const metadata = typeof parsed === 'string' ? null : parsed;
      found.push({
        id,
        location: `s3://${request.bucket}/${root}${id}/`,
        keys: objects.map((o) => o.key),
        metadataKey: metadataObject.key,
        finishedAt: metadataObject.lastModified,
        metadata,
        dataPresent: metadata !== null && objects.some((o) => o.key === `${root}${id}/${metadata.object}`),
        problem: typeof parsed === 'string' ? parsed : null,
      });
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, next));
  found.sort(newestFirst);
  const complete = problems.length === 0;
  return {
    backups: found,
    complete,
    problem: complete ? null : `${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
  };
}

/** The metadata, or what is wrong with it. */
function verify(id: string, text: string): BackupMetadata | string {
  try {
    const metadata = parseMetadata(text);
    if (metadata.id !== id) return `metadata.json names backup ${JSON.stringify(metadata.id)}, not ${id}`;
    return metadata;
  } catch (err) {
    return (err as Error).message;
  }
}
