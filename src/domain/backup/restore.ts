// `instance-manager restore`: finds the backup (a location, `<prefix>/latest`: the newest
// usable backup in the catalogue, or `--backup-id`), downloads it, checks it against its
// metadata.json (size and sha256), has a temporary redis-server load it (load-check.ts), and
// only then installs it into the data directory, before Redis starts (an init container).
// Existing data is never overwritten without `force`, and nothing is installed unless every
// check passed: the download goes to a staging directory first and the final step is a rename.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config.js';
import { messageOf } from '../../errors.js';
import { syncDir } from '../durable-file.js';
import { BackupFailure } from './backup-record.js';
import { checkLoads, LoadCheckError, type LoadCheckResult } from './load-check.js';
import { METADATA_NAME, parseMetadata, type BackupMetadata } from './metadata.js';
import { backupPrefix, createS3Client, loadSdk, parseS3Url, readSmallObject, storageFailure } from './storage.js';
import { isUsable, readStoredBackups } from './stored-backups.js';
import { listTar } from './tar.js';

/** What the data directory holds that a restore would replace. */
const RDB_NAME = 'dump.rdb';
const DEFAULT_AOF_DIR = 'appendonlydir';
const LEGACY_AOF_NAME = 'appendonly.aof';
const METADATA_LIMIT = 1024 * 1024;

export type RestoreFailureKind = 'usage' | 'existing-data' | 'integrity' | 'storage' | 'load-check';

export class RestoreError extends Error {
  override name = 'RestoreError';
  constructor(
    readonly kind: RestoreFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** The last segment of `--from` that asks for the newest usable backup under the prefix. */
export const LATEST = 'latest';

export interface RestoreOptions {
  /** s3://bucket/key: a backup's location, or `<prefix>/latest`, or (with backupId) the prefix. */
  from: string;
  /** A backup under the prefix `from` names. */
  backupId?: string;
  dataDir: string;
  force: boolean;
  /** Restore only into a directory without Redis data; otherwise do nothing (an init container's every start). */
  ifEmpty?: boolean;
  /** Endpoint, region and path style; the bucket comes from `from`. */
  s3: Omit<S3Config, 'bucket' | 'prefix'>;
  /** The temporary redis-server that must load the files before they are installed. */
  loadCheck: { binary: string; modules: string[]; timeoutMs: number };
}

/** `ifEmpty` and the data directory already held Redis data: nothing was done. */
export interface RestoreSkipped {
  skipped: 'existing-data';
  present: string[];
}

export interface RestoreResult {
  id: string;
  /** s3://bucket/<prefix><id>/ of the backup restored. */
  location: string;
  type: BackupMetadata['type'];
  size: number;
  sha256: string;
  createdAt: string;
  installed: string[];
  replaced: string[];
  loadCheck: LoadCheckResult;
}

/** s3://b/p/id/ or s3://b/p/id/metadata.json or s3://b/p/id/dump.rdb → the metadata key. */
export function metadataKey(key: string): string {
  if (key === '' || key.endsWith('/')) return key + METADATA_NAME;
  if (posix.basename(key) === METADATA_NAME) return key;
  const dir = posix.dirname(key);
  return dir === '.' ? METADATA_NAME : `${dir}/${METADATA_NAME}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The Redis data already in the directory (the names Redis would load from). */
export async function existingData(dataDir: string, aofDir = DEFAULT_AOF_DIR): Promise<string[]> {
  const names = [...new Set([RDB_NAME, aofDir, DEFAULT_AOF_DIR, LEGACY_AOF_NAME])];
  const found: string[] = [];
  for (const name of names) if (await exists(join(dataDir, name))) found.push(name);
  return found;
}

async function getObject(client: S3Client, bucket: string, key: string): Promise<Readable> {
  try {
    const { GetObjectCommand } = await loadSdk();
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body as Readable;
  } catch (err) {
    const failure = storageFailure(err, `download of s3://${bucket}/${key}`, bucket);
    const missing = (err as { name?: string }).name === 'NoSuchKey';
    throw new RestoreError('storage', missing ? `s3://${bucket}/${key} does not exist` : failure.message);
  }
}

async function readMetadata(client: S3Client, bucket: string, key: string): Promise<BackupMetadata> {
  let text: Buffer | null;
  try {
    text = await readSmallObject(client, bucket, key, METADATA_LIMIT);
  } catch (err) {
    throw new RestoreError('storage', messageOf(err));
  }
  if (text === null) throw new RestoreError('storage', `s3://${bucket}/${key} does not exist`);
  try {
    return parseMetadata(text.toString('utf8'));
  } catch (err) {
    throw new RestoreError('integrity', messageOf(err));
  }
}

/** `<prefix>/latest`, `<prefix>/latest/` or `latest` → the prefix; otherwise null. */
export function latestPrefix(key: string): string | null {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  if (trimmed !== LATEST && !trimmed.endsWith(`/${LATEST}`)) return null;
  return trimmed.slice(0, -LATEST.length);
}

/** The metadata.json key of the backup the options name. */
async function resolveMetadataKey(client: S3Client, bucket: string, key: string, backupId?: string): Promise<string> {
  const latest = latestPrefix(key);
  if (backupId !== undefined) {
    if (latest !== null)
      throw new RestoreError('usage', `--from names ${LATEST} and --backup-id names ${backupId}: give one of them`);
    return backupPrefix(key, backupId) + METADATA_NAME;
  }
  if (latest === null) return metadataKey(key);
  let catalogue;
  try {
    catalogue = await readStoredBackups({ client, bucket, prefix: latest });
  } catch (err) {
    throw new RestoreError('storage', err instanceof BackupFailure ? err.message : messageOf(err));
  }
  // An older backup is never restored because a newer one could not be read.
  if (!catalogue.complete)
    throw new RestoreError(
      'storage',
      `the backups under s3://${bucket}/${latest} could not all be read; retry, or name one with --backup-id`,
    );
  const newest = catalogue.backups.find(isUsable);
  if (!newest)
    throw new RestoreError(
      'storage',
      `no completed backup whose metadata verifies under s3://${bucket}/${latest} (${catalogue.backups.length} found unusable)`,
    );
  return newest.metadataKey;
}

/** Downloads to `file`, hashing on the way; deletes the file unless size and sha256 match. */
async function download(
  client: S3Client,
  bucket: string,
  key: string,
  file: string,
  metadata: BackupMetadata,
): Promise<void> {
  const body = await getObject(client, bucket, key);
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(body, count, createWriteStream(file, { mode: 0o600, flush: true }));
  } catch (err) {
    await rm(file, { force: true });
    throw new RestoreError('storage', `download of s3://${bucket}/${key} failed: ${(err as Error).message}`);
  }
  const sha256 = hash.digest('hex');
  if (size !== metadata.size || sha256 !== metadata.sha256) {
    await rm(file, { force: true });
    throw new RestoreError(
      'integrity',
      `s3://${bucket}/${key} does not match its metadata: ${size} bytes with sha256 ${sha256}, expected ${metadata.size} bytes with sha256 ${metadata.sha256}; nothing was installed`,
    );
  }
}

/** Unpacks an AOF archive into `target`/<aof dir>, refusing anything outside that directory. */
async function unpackAof(archive: string, target: string, metadata: BackupMetadata): Promise<string> {
  const aofDir = metadata.aof!.dir;
  const handle = await open(archive, 'r');
  try {
    const members = await listTar(handle, metadata.size);
    const dir = join(target, aofDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let manifest = false;
    for (const member of members) {
      const name = posix.basename(member.name);
      if (member.name !== `${aofDir}/${name}` || name === '..' || name === '.') {
        throw new RestoreError('integrity', `the archive holds ${JSON.stringify(member.name)}, outside ${aofDir}/`);
      }
      if (name.endsWith('.manifest')) manifest = true;
      const out = join(dir, name);
      const source =
        member.size === 0
          ? Readable.from([])
          : handle.createReadStream({ start: member.offset, end: member.offset + member.size - 1, autoClose: false });
      await pipeline(source, createWriteStream(out, { mode: 0o600, flush: true }));
    }
    if (!manifest) throw new RestoreError('integrity', 'the AOF archive has no manifest');
    return dir;
  } catch (err) {
    throw err instanceof RestoreError
      ? err
      : new RestoreError('integrity', `the AOF archive cannot be unpacked: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** The load check on the staging directory; its refusal is the restore's, loudly. */
async function loadStaged(
  staging: string,
  metadata: BackupMetadata,
  check: RestoreOptions['loadCheck'],
): Promise<LoadCheckResult> {
  const manifest = metadata.aof?.files.find((f) => f.endsWith('.manifest'));
  try {
    return await checkLoads({
      binary: check.binary,
      dir: staging,
      type: metadata.type,
      dbfilename: metadata.object,
      aof: metadata.aof
        ? { dir: metadata.aof.dir, appendfilename: manifest?.replace(/\.manifest$/, '') ?? 'appendonly.aof' }
        : undefined,
      modules: check.modules,
      timeoutMs: check.timeoutMs,
    });
  } catch (err) {
    if (!(err instanceof LoadCheckError)) throw err;
    throw new RestoreError(
      'load-check',
      `backup ${metadata.id} matches its metadata but does not load: ${err.message}\nnothing was installed`,
    );
  }
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult | RestoreSkipped> {
  let location: { bucket: string; key: string };
  try {
    location = parseS3Url(options.from);
  } catch (err) {
    throw new RestoreError('usage', (err as Error).message);
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const present = await existingData(options.dataDir);
  if (present.length > 0 && options.ifEmpty) return { skipped: 'existing-data', present };
  if (present.length > 0 && !options.force) {
    throw new RestoreError(
      'existing-data',
      `${options.dataDir} already holds Redis data (${present.join(', ')}); use --force to replace it`,
    );
  }
  const client = await createS3Client({ ...options.s3, bucket: location.bucket, prefix: '' });
  const staging = join(options.dataDir, `.restore-${randomBytes(4).toString('hex')}`);
  try {
    const metaKey = await resolveMetadataKey(client, location.bucket, location.key, options.backupId);
    const metadata = await readMetadata(client, location.bucket, metaKey);
    const dataKey = posix.join(posix.dirname(metaKey), metadata.object);
    await mkdir(staging, { mode: 0o700 });
    const downloaded = join(staging, metadata.object);
    await download(client, location.bucket, dataKey, downloaded, metadata);

    // Verified. Stage the final files and have Redis load them, then replace what is there.
    const staged = metadata.type === 'rdb' ? downloaded : await unpackAof(downloaded, staging, metadata);
    const finalName = metadata.type === 'rdb' ? RDB_NAME : metadata.aof!.dir;
    const loadCheck = await loadStaged(staging, metadata, options.loadCheck);
    const replaced = await existingData(options.dataDir, metadata.aof?.dir);
    if (replaced.length > 0 && !options.force) {
      throw new RestoreError(
        'existing-data',
        `${options.dataDir} gained Redis data (${replaced.join(', ')}) during the restore; use --force to replace it`,
      );
    }
    // Redis prefers an AOF directory over dump.rdb, and loads dump.rdb when AOF is off:
    // whatever of the old data is not replaced by name is removed, or it would be loaded.
    for (const name of replaced)
      if (name !== finalName) await rm(join(options.dataDir, name), { recursive: true, force: true });
    if (metadata.type === 'aof') await rm(join(options.dataDir, finalName), { recursive: true, force: true });
    await rename(staged, join(options.dataDir, finalName));
    await syncDir(options.dataDir);
    return {
      id: metadata.id,
      location: `s3://${location.bucket}/${metaKey.slice(0, metaKey.length - METADATA_NAME.length)}`,
      type: metadata.type,
      size: metadata.size,
      sha256: metadata.sha256,
      createdAt: metadata.createdAt,
      installed: [finalName],
      replaced,
      loadCheck,
    };
  } finally {
    client.destroy();
    await rm(staging, { recursive: true, force: true });
  }
}
