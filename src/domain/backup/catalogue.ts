// The catalogue the API lists: this manager's journal merged with the backups found in the
// object store. Pure: the caller reads both, this decides what is listed, how, and in what
// order. The rules:
//   - a backup in storage whose metadata verifies and whose data object is there is listed,
//     whoever made it (foundIn: storage);
//   - a journal record is listed as it is (foundIn: journal, plus storage when it is there too),
//     except a failed one that storage holds complete (the manager died after the upload and
//     before it could record the end): storage is the truth, so it is listed as completed;
//   - an uploaded, completed record that a complete listing of its prefix no longer finds was
//     deleted elsewhere (another pod's retention, a lifecycle rule): it is not listed, and the
//     caller forgets it (`gone`); one uploaded under another bucket or prefix (the
//     configuration changed) is not judged by this listing;
//   - newest first: ids begin with their UTC start time, so they sort by it.
import { newestFirst, toView, type BackupRecord, type BackupView } from './backup-record.js';
import { isUsable, type StoredBackup, type UsableBackup } from './stored-backups.js';

export interface StorageListing {
  backups: StoredBackup[];
  complete: boolean;
  problem?: string | null;
  /** When the listing started: a record that finished later may not be in it yet. */
  startedAt: Date;
  /** s3://bucket/<prefix>/: what was listed. */
  root: string;
}

export interface Catalogue {
  /** Newest first. */
  items: BackupView[];
  /** Journal records of backups deleted from storage by someone else. */
  gone: string[];
}

/** The API's view of a backup known only from storage. */
export function storedView(backup: UsableBackup): BackupView {
  const m = backup.metadata;
  return {
    id: backup.id,
    type: m.type,
    state: 'completed',
    upload: true,
    startedAt: new Date(m.createdAt).toISOString(),
    finishedAt: backup.finishedAt?.toISOString() ?? null,
    saveSeconds: null,
    uploadSeconds: null,
    bytesTotal: m.size,
    bytesUploaded: m.size,
    sha256: m.sha256,
    location: backup.location,
    error: null,
    errorCode: null,
    hostname: m.hostname ?? null,
    foundIn: ['storage'],
  };
}

export function mergeCatalogue(records: readonly BackupRecord[], storage: StorageListing | null): Catalogue {
  const stored = new Map((storage?.backups ?? []).filter(isUsable).map((b) => [b.id, b]));
  const items: BackupView[] = [];
  const gone: string[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    seen.add(record.id);
    const inStorage = stored.get(record.id);
    if (inStorage) {
      items.push(
        record.state === 'failed'
          ? { ...storedView(inStorage), foundIn: ['journal', 'storage'] }
          : toView(record, ['journal', 'storage']),
      );
      continue;
    }
    const deletedElsewhere =
      storage?.complete === true &&
      record.upload &&
      record.state === 'completed' &&
      record.location?.startsWith(storage.root) === true &&
      record.finishedAt !== null &&
      record.finishedAt < storage.startedAt;
    if (deletedElsewhere) gone.push(record.id);
    else items.push(toView(record, ['journal']));
  }
  for (const backup of stored.values()) if (!seen.has(backup.id)) items.push(storedView(backup));
  items.sort(newestFirst);
  return { items, gone };
}

export interface Page {
  items: BackupView[];
  /** The `after` of the next page; null on the last. */
  next: string | null;
}

/** `limit` entries after (older than) the id `after`, which need not exist any more. */
export function page(items: readonly BackupView[], limit: number, after: string | undefined): Page {
  const rest = after === undefined ? items : items.filter((b) => b.id < after);
  const slice = rest.slice(0, limit);
  return { items: slice, next: rest.length > limit ? slice[slice.length - 1].id : null };
}
