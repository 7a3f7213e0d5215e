// Opens what a save produced, before anything is uploaded, so that a later save cannot swap
// it mid-stream: the RDB file (one descriptor), or the AOF directory (its manifest as read,
// and a descriptor per file it names, with each size fixed at the moment it was opened).
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisAdapter } from '../../redis/adapter.js';
import { numberField, parseInfo } from '../../redis/info.js';
import { BackupFailure, type BackupType } from './backup-record.js';
import { tarSize, tarStream, type TarEntry } from './tar.js';
import { fileSource, streamSource, type PartSource } from './multipart-upload.js';
import { messageOf } from '../../errors.js';

export interface RedisFiles {
  dir: string;
  dbfilename: string;
  appenddirname: string;
  appendfilename: string;
}

/** Where Redis keeps its files, from CONFIG GET; the manager's defaults when CONFIG is denied. */
export async function redisFiles(redis: RedisAdapter, dataDir: string): Promise<RedisFiles> {
  const get = async (name: string, fallback: string): Promise<string> => {
    try {
      const reply = (await redis.command('CONFIG', 'GET', name)) as string[];
      return reply[1] || fallback;
    } catch {
      return fallback;
    }
  };
  return {
    dir: await get('dir', dataDir),
    dbfilename: await get('dbfilename', 'dump.rdb'),
    appenddirname: await get('appenddirname', 'appendonlydir'),
    appendfilename: await get('appendfilename', 'appendonly.aof'),
  };
}

export interface Snapshot {
  /** Name of the data object in storage. */
  objectName: string;
  size: number;
  /** The bytes to upload; may be called once. */
  source(): PartSource;
  close(): Promise<void>;
  /** LASTSAVE of the RDB opened (RDB only). */
  lastSave: number | null;
  /** The AOF directory's name and the files archived (AOF only). */
  aof: { dir: string; files: string[] } | null;
}

function snapshotError(err: unknown): BackupFailure {
  return new BackupFailure('snapshot_failed', `could not open the saved files: ${messageOf(err)}`);
}

export async function openSnapshot(type: BackupType, redis: RedisAdapter, files: RedisFiles): Promise<Snapshot> {
  try {
    return type === 'rdb' ? await openRdb(redis, files) : await openAof(files);
  } catch (err) {
    throw err instanceof BackupFailure ? err : snapshotError(err);
  }
}

async function lastSave(redis: RedisAdapter): Promise<number> {
  return numberField(parseInfo(await redis.info('persistence')), 'rdb_last_save_time') ?? 0;
}

/** The RDB file, opened while LASTSAVE stayed still: the descriptor is the save we saw end. */
async function openRdb(redis: RedisAdapter, files: RedisFiles): Promise<Snapshot> {
  const path = join(files.dir, files.dbfilename);
  for (let attempt = 0; attempt < 5; attempt++) {
    const saved = await lastSave(redis);
    const handle = await open(path, 'r');
    let size: number;
    try {
      if ((await lastSave(redis)) !== saved) {
        await handle.close();
        continue;
      }
      ({ size } = await handle.stat());
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
    return {
      objectName: 'dump.rdb',
      size,
      lastSave: saved,
      aof: null,
      source: () => fileSource(handle, size),
      close: () => handle.close(),
    };
  }
  throw new BackupFailure('snapshot_failed', `${path} kept being replaced by new saves while it was opened`);
}

/** `file <name> seq <n> type <b|h|i>` lines; history files (type h) are not needed to load. */
export function manifestFiles(manifest: string): string[] {
  const names: string[] = [];
  for (const line of manifest.split('\n')) {
    const words = line.trim().split(/\s+/);
    const name = words[words.indexOf('file') + 1];
    const type = words[words.indexOf('type') + 1];
    if (words[0] !== 'file' || !name || type === 'h') continue;
    if (name.includes('/') || name === '..' || name === '.')
      throw new Error(`the AOF manifest names an unexpected file ${JSON.stringify(name)}`);
    names.push(name);
  }
  return names;
}

async function openAof(files: RedisFiles): Promise<Snapshot> {
  const dir = join(files.dir, files.appenddirname);
  const manifestName = `${files.appendfilename}.manifest`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const manifest = await readFile(join(dir, manifestName));
    const names = manifestFiles(manifest.toString('utf8'));
    const handles: { name: string; handle: FileHandle; size: number; mtime: Date }[] = [];
    const closeAll = async () => void (await Promise.all(handles.map((h) => h.handle.close().catch(() => {}))));
    try {
      for (const name of names) {
        const handle = await open(join(dir, name), 'r');
        const { size, mtime } = await handle.stat();
        handles.push({ name, handle, size, mtime });
      }
    } catch (err) {
      await closeAll();
      // A rewrite finished between the manifest and a file (which it deleted): read again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    // Still the same manifest: the descriptors are the files it names, whatever happens next.
    const again = await readFile(join(dir, manifestName)).catch(async (err: unknown) => {
      await closeAll();
      throw err;
    });
    if (!manifest.equals(again)) {
      await closeAll();
      continue;
    }
    const entries: TarEntry[] = [
      { name: `${files.appenddirname}/${manifestName}`, size: manifest.length, mtime: new Date(), source: manifest },
      ...handles.map((h) => ({
        name: `${files.appenddirname}/${h.name}`,
        size: h.size,
        mtime: h.mtime,
        source: h.handle,
      })),
    ];
    return {
      objectName: 'appendonly.tar',
      size: tarSize(entries),
      lastSave: null,
      aof: { dir: files.appenddirname, files: [manifestName, ...names] },
      source: () => streamSource(tarStream(entries)),
      close: closeAll,
    };
  }
  throw new BackupFailure('snapshot_failed', `${dir} kept changing (AOF rewrites) while it was opened`);
}
