// `instance-manager restore`: downloads a backup, checks it against its metadata.json (size
// and sha256), and only then installs it into the data directory, before Redis starts (an
// init container). Existing data is never overwritten without `force`, and nothing is
// installed unless every byte checked out: the download goes to a temporary name first and
// the final step is a rename.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config.js';
import { METADATA_NAME, parseMetadata, type BackupMetadata } from './metadata.js';
import { createS3Client, loadSdk, parseS3Url, storageFailure } from './storage.js';
import { listTar } from './tar.js';

/** What the data directory holds that a restore would replace. */
const RDB_NAME = 'dump.rdb';
const DEFAULT_AOF_DIR = 'appendonlydir';
const LEGACY_AOF_NAME = 'appendonly.aof';
const METADATA_LIMIT = 1024 * 1024;

export type RestoreFailureKind = 'usage' | 'existing-data' | 'integrity' | 'storage';

export class RestoreError extends Error {
  override name = 'RestoreError';
  constructor(
    readonly kind: RestoreFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface RestoreOptions {
  from: string;
  dataDir: string;
  force: boolean;
  /** Endpoint, region and path style; the bucket comes from `from`. */
  s3: Omit<S3Config, 'bucket' | 'prefix'>;
}

export interface RestoreResult {
  id: string;
  type: BackupMetadata['type'];
  size: number;
  sha256: string;
  installed: string[];
  replaced: string[];
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
  const body = await getObject(client, bucket, key);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > METADATA_LIMIT) {
      body.destroy();
      throw new RestoreError(
        'integrity',
        `s3://${bucket}/${key} is larger than ${METADATA_LIMIT} bytes; not a backup's metadata`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return parseMetadata(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new RestoreError('integrity', (err as Error).message);
  }
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

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  let location: { bucket: string; key: string };
  try {
    location = parseS3Url(options.from);
  } catch (err) {
    throw new RestoreError('usage', (err as Error).message);
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const present = await existingData(options.dataDir);
  if (present.length > 0 && !options.force) {
    throw new RestoreError(
      'existing-data',
      `${options.dataDir} already holds Redis data (${present.join(', ')}); use --force to replace it`,
    );
  }
  const client = await createS3Client({ ...options.s3, bucket: location.bucket, prefix: '' });
  const staging = join(options.dataDir, `.restore-${randomBytes(4).toString('hex')}`);
  try {
    const metaKey = metadataKey(location.key);
    const metadata = await readMetadata(client, location.bucket, metaKey);
    const dataKey = posix.join(posix.dirname(metaKey), metadata.object);
    await mkdir(staging, { mode: 0o700 });
    const downloaded = join(staging, metadata.object);
    await download(client, location.bucket, dataKey, downloaded, metadata);

    // Verified. Stage the final files, then replace what is there.
    const staged = metadata.type === 'rdb' ? downloaded : await unpackAof(downloaded, staging, metadata);
    const finalName = metadata.type === 'rdb' ? RDB_NAME : metadata.aof!.dir;
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
    await fsyncPath(options.dataDir);
    return {
      id: metadata.id,
      type: metadata.type,
      size: metadata.size,
      sha256: metadata.sha256,
      installed: [finalName],
      replaced,
    };
  } finally {
    client.destroy();
    await rm(staging, { recursive: true, force: true });
  }
}
