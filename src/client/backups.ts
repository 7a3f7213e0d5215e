// Paging through the backup catalogue without writing the loop: every backup, newest first,
// across as many `listBackups` pages as it takes.
//
//   for await (const backup of eachBackup(im, { requireStorage: true })) {
//     if (backup.state === 'completed') console.log(backup.id, backup.location, backup.foundIn);
//   }
import type { InstanceManagerClient } from './create.js';
import type { CallOptions } from './runtime.js';
import type { components } from './schema.js';

export type Backup = components['schemas']['Backup'];

export interface EachBackupOptions extends CallOptions {
  /** Entries per request (1..100, default 100). */
  pageSize?: number;
  /**
   * Throw StorageNotListedError when the manager could not read the object store for a page
   * (its answer then holds only its own journal). Set it when building a retention or restore
   * decision on the catalogue; leave it off to show what is known.
   */
  requireStorage?: boolean;
}

/** A page of the catalogue was answered without the object store (unreachable, or not configured). */
export class StorageNotListedError extends Error {
  constructor(
    readonly storage: string,
    readonly storageError: string | null,
  ) {
    super(`the manager did not list the object store (${storage}${storageError ? `: ${storageError}` : ''})`);
    this.name = 'StorageNotListedError';
  }
}

/** Every backup in the catalogue, newest first, fetched page by page as it is iterated. */
export async function* eachBackup(
  client: InstanceManagerClient,
  options: EachBackupOptions = {},
): AsyncGenerator<Backup, void, undefined> {
  const { pageSize = 100, requireStorage = false, ...call } = options;
  let after: string | undefined;
  do {
    const page = await client.listBackups({ query: { limit: pageSize, ...(after ? { after } : {}) } }, call);
    if (requireStorage && page.storage !== 'listed') throw new StorageNotListedError(page.storage, page.storageError);
    yield* page.items;
    after = page.next ?? undefined;
  } while (after !== undefined);
}
