// Retention: which backups in storage a policy lets go, and how one is deleted. The policy is
// `--backup-retention-count N` (keep the newest N) and/or `--backup-retention-days D` (keep
// what is younger than D days); with both, a backup goes only when both let it go, so a
// policy never keeps fewer than N nor less than D days. The newest usable backup is never
// deleted, whatever the policy. The caller deletes only from a complete listing.
import type { S3Client } from '@aws-sdk/client-s3';
import { newestFirst } from './backup-record.js';
import { deleteKey } from './storage.js';
import { isUsable, type StoredBackup } from './stored-backups.js';

export interface RetentionPolicy {
  /** Keep the newest N usable backups; null for no count rule. */
  count: number | null;
  /** Keep backups younger than D days; null for no age rule. */
  days: number | null;
}

export function retentionEnabled(policy: RetentionPolicy): boolean {
  return policy.count !== null || policy.days !== null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What a run deletes, from a complete listing (newest first): usable backups beyond the
 * policy, and backups a previous deletion left half-done (metadata.json still there, the data
 * object already gone), which are not usable any more and only wait to be finished.
 */
export function selectForDeletion(
  backups: readonly StoredBackup[],
  policy: RetentionPolicy,
  now: Date,
): StoredBackup[] {
  if (!retentionEnabled(policy)) return [];
  const usable = backups.filter(isUsable).sort(newestFirst);
  const expired = usable.filter((backup, index) => {
    if (index === 0) return false; // the newest usable backup is never deleted
    const beyondCount = policy.count !== null && index >= policy.count;
    const tooOld = policy.days !== null && Date.parse(backup.metadata.createdAt) < now.getTime() - policy.days * DAY_MS;
    if (policy.count !== null && policy.days !== null) return beyondCount && tooOld;
    return beyondCount || tooOld;
  });
  const halfDeleted = backups.filter((b) => b.metadata !== null && !b.dataPresent);
  return [...expired, ...halfDeleted];
}

/**
 * Deletes a backup's objects: the data first, metadata.json last. A deletion cut short leaves
 * the metadata, so the backup is still found (no longer usable) and the next run finishes it;
 * nothing is ever left without the metadata that names it. Resolves to the keys deleted;
 * throws a BackupFailure at the first key that cannot be deleted.
 */
export async function deleteStoredBackup(
  client: S3Client,
  bucket: string,
  backup: StoredBackup,
  signal?: AbortSignal,
): Promise<string[]> {
  const keys = [...backup.keys].sort((a, b) => Number(a === backup.metadataKey) - Number(b === backup.metadataKey));
  if (!keys.includes(backup.metadataKey)) keys.push(backup.metadataKey);
  const deleted: string[] = [];
  for (const key of keys) {
    await deleteKey(client, bucket, key, signal);
    deleted.push(key);
  }
  return deleted;
}
