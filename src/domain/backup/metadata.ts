// metadata.json: written last, beside the data object, so that a backup with metadata is a
// complete backup. Restore trusts nothing in the data object that metadata does not vouch for.
import { field, isReplica, numberField, replicationOffset, type Info } from '../../redis/info.js';
import { isBackupId, type BackupType } from './backup-record.js';

export const METADATA_NAME = 'metadata.json';
export const METADATA_FORMAT = 1;

export interface BackupMetadata {
  format: typeof METADATA_FORMAT;
  id: string;
  type: BackupType;
  /** The data object's name under the backup's prefix: dump.rdb or appendonly.tar. */
  object: string;
  size: number;
  sha256: string;
  createdAt: string;
  /** LASTSAVE when the RDB was opened (RDB backups), else Redis's LASTSAVE after the rewrite. */
  lastSave: number;
  role: 'primary' | 'replica';
  replicationId: string;
  replicationOffset: number;
  redisVersion: string;
  managerVersion: string;
  /** The append-only directory's name and the files in the archive (AOF backups). */
  aof: { dir: string; files: string[] } | null;
  /** The host (pod) that made the backup; absent in backups made before it was recorded. */
  hostname?: string;
}

export interface MetadataInput {
  id: string;
  type: BackupType;
  object: string;
  size: number;
  sha256: string;
  createdAt: Date;
  lastSave: number | null;
  /** INFO read just before the save command. */
  before: Info;
  /** INFO read once the save was done. */
  after: Info;
  managerVersion: string;
  aof: { dir: string; files: string[] } | null;
  hostname: string;
}

export function buildMetadata(input: MetadataInput): BackupMetadata {
  const replica = isReplica(input.before);
  return {
    format: METADATA_FORMAT,
    id: input.id,
    type: input.type,
    object: input.object,
    size: input.size,
    sha256: input.sha256,
    createdAt: input.createdAt.toISOString(),
    lastSave: input.lastSave ?? numberField(input.after, 'rdb_last_save_time') ?? 0,
    role: replica ? 'replica' : 'primary',
    replicationId: field(input.before, 'master_replid') ?? '',
    replicationOffset: replicationOffset(input.before) ?? 0,
    redisVersion: field(input.before, 'valkey_version') ?? field(input.before, 'redis_version') ?? 'unknown',
    managerVersion: input.managerVersion,
    aof: input.aof,
    hostname: input.hostname,
  };
}

const OBJECT_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** Checks a downloaded metadata.json; throws with what is wrong. */
export function parseMetadata(text: string): BackupMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('metadata.json is not valid JSON');
  }
  const m = doc as Partial<BackupMetadata>;
  const problems: string[] = [];
  if (m.format !== METADATA_FORMAT) problems.push(`format ${JSON.stringify(m.format)} is not ${METADATA_FORMAT}`);
  if (m.type !== 'rdb' && m.type !== 'aof') problems.push('type must be rdb or aof');
  if (typeof m.object !== 'string' || !OBJECT_NAME.test(m.object)) problems.push('object must be a plain file name');
  if (!Number.isSafeInteger(m.size) || (m.size ?? -1) < 0) problems.push('size must be a whole number of bytes');
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) problems.push('sha256 must be 64 hex digits');
  if (!isBackupId(m.id)) problems.push('id must be a backup id');
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt)))
    problems.push('createdAt must be a date');
  if (m.hostname !== undefined && typeof m.hostname !== 'string') problems.push('hostname must be a string');
  if (m.type === 'aof' && (typeof m.aof?.dir !== 'string' || !OBJECT_NAME.test(m.aof.dir)))
    problems.push('aof.dir must be a plain directory name');
  if (problems.length > 0) throw new Error(`metadata.json is not usable: ${problems.join('; ')}`);
  return m as BackupMetadata;
}
