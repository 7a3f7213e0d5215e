// The restore command's refusals: a corrupted data object (bad checksum), a truncated one whose
// checksum was forged (the load check), metadata that lies, an archive that reaches outside its
// directory, existing data without --force, bad usage. In each case the exit code says so and
// nothing is installed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { restoreCommand, RESTORE_EXIT } from '../../src/domain/backup/restore-cli.js';
import { tarHeader, BLOCK } from '../../src/domain/backup/tar.js';
import { backupAndWait, keyPrefix, startBackupManager, writeDataset } from './support/fixtures.js';
import { BUCKET, TestStorage } from './support/storage.js';

describe('restore command', function () {
  this.timeout(60_000);
  let storage: TestStorage;
  let m: TestManager;
  let location: string;
  let rdb: Buffer;

  before(async () => {
    storage = await TestStorage.start();
    m = await startBackupManager({ raw: storage.raw('restore') });
    await writeDataset(redisClient(m.redisPort));
    const backup = await backupAndWait(m);
    assert.equal(backup.state, 'completed', backup.error ?? '');
    location = backup.location!;
    rdb = await storage.get(keyPrefix(location) + 'dump.rdb');
  });
  after(async () => {
    await m.stop();
    await storage.stop();
  });

  async function restore(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await restoreCommand(
      [...args, '--s3-endpoint', storage.endpoint, '--s3-path-style'],
      {},
      (l) => (out += l + '\n'),
      (l) => (err += l + '\n'),
    );
    return { code, out, err };
  }

  /** Name, size and mtime of every entry: "unchanged" is this staying the same. */
  async function listing(dir: string): Promise<string[]> {
    const names = (await readdir(dir)).sort();
    return Promise.all(
      names.map(async (name) => {
        const s = await stat(join(dir, name));
        return `${name} ${s.size} ${s.mtimeMs}`;
      }),
    );
  }

  async function freshDir(): Promise<string> {
    return join(await tempDir('im-restore-'), 'data');
  }

  /** A backup under `prefix` with the given data object and metadata edits. */
  async function plant(
    prefix: string,
    name: string,
    data: Buffer,
    edits: Record<string, unknown> = {},
  ): Promise<string> {
    const metadata = JSON.parse((await storage.get(keyPrefix(location) + 'metadata.json')).toString());
    await storage.put(`${prefix}/${name}`, data);
    await storage.put(`${prefix}/metadata.json`, JSON.stringify({ ...metadata, object: name, ...edits }));
    return `s3://${BUCKET}/${prefix}/`;
  }

  it('restores into an empty directory; the location may name the prefix, metadata.json or the data object', async () => {
    for (const from of [location, `${location}metadata.json`, `${location}dump.rdb`]) {
      const dir = await freshDir();
      const res = await restore(['--from', from, '--data-dir', dir]);
      assert.equal(res.code, RESTORE_EXIT.restored, res.err);
      assert.deepEqual(await readFile(join(dir, 'dump.rdb')), rdb);
      assert.deepEqual(await readdir(dir), ['dump.rdb'], 'no staging left behind');
    }
  });

  it('a corrupted data object (bad checksum): exit 1, nothing installed', async () => {
    const corrupted = Buffer.from(rdb);
    corrupted[corrupted.length >> 1] ^= 0xff;
    const from = await plant('corrupt', 'dump.rdb', corrupted);
    const dir = await freshDir();
    const res = await restore(['--from', from, '--data-dir', dir]);
    assert.equal(res.code, RESTORE_EXIT.failed);
    assert.match(res.err, /does not match its metadata/);
    assert.match(res.err, /nothing was installed/);
    assert.deepEqual(await readdir(dir), []);
  });

  it('a truncated data object: exit 1, nothing installed', async () => {
    const from = await plant('truncated', 'dump.rdb', rdb.subarray(0, rdb.length - 10));
    const dir = await freshDir();
    const res = await restore(['--from', from, '--data-dir', dir]);
    assert.equal(res.code, RESTORE_EXIT.failed);
    assert.deepEqual(await readdir(dir), []);
  });

  it('a truncated RDB whose sha256 was forged in its metadata: the load check refuses it, the data directory is unchanged', async () => {
    const truncated = rdb.subarray(0, Math.floor(rdb.length * 0.6));
    const from = await plant('forged', 'dump.rdb', truncated, {
      size: truncated.length,
      sha256: createHash('sha256').update(truncated).digest('hex'),
    });
    // Into a directory that already holds data, with --force: the old data must survive.
    const dir = await freshDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'dump.rdb'), 'the data that was here');
    await writeFile(join(dir, 'redis.conf'), 'port 1\n');
    const before = await listing(dir);
    const res = await restore(['--from', from, '--data-dir', dir, '--force']);
    assert.equal(res.code, RESTORE_EXIT.failed, res.err);
    assert.match(res.err, /matches its metadata but does not load: redis-server refused the restored files/);
    assert.match(res.err, /Short read|Unexpected EOF|Bad file format|Unrecoverable/i, 'the server log says why');
    assert.match(res.err, /nothing was installed/);
    assert.deepEqual(await listing(dir), before, 'nothing added, removed or touched');
    assert.equal(await readFile(join(dir, 'dump.rdb'), 'utf8'), 'the data that was here');
  });

  it("metadata that is not a backup's: exit 1", async () => {
    const from = await plant('bad-meta', 'dump.rdb', rdb, { sha256: 'nope', format: 9 });
    const res = await restore(['--from', from, '--data-dir', await freshDir()]);
    assert.equal(res.code, RESTORE_EXIT.failed);
    assert.match(res.err, /metadata\.json is not usable/);
  });

  it('an AOF archive with a member outside its directory: exit 1, nothing installed', async () => {
    const payload = Buffer.from('*1\r\n$4\r\nPING\r\n');
    const archive = Buffer.concat([
      tarHeader('appendonlydir/appendonly.aof.manifest', 0, new Date()),
      tarHeader('../escaped.aof', payload.length, new Date()),
      payload,
      Buffer.alloc(BLOCK - payload.length),
      Buffer.alloc(2 * BLOCK),
    ]);
    const sha256 = createHash('sha256').update(archive).digest('hex');
    const from = await plant('evil', 'appendonly.tar', archive, {
      type: 'aof',
      size: archive.length,
      sha256,
      aof: { dir: 'appendonlydir', files: [] },
    });
    const root = await tempDir('im-restore-');
    const dir = join(root, 'data');
    const res = await restore(['--from', from, '--data-dir', dir]);
    assert.equal(res.code, RESTORE_EXIT.failed);
    assert.match(res.err, /outside appendonlydir/);
    assert.deepEqual(await readdir(dir), []);
    assert.deepEqual(await readdir(root), ['data']);
  });

  it('existing data without --force: exit 3, untouched; with --force: replaced, old AOF removed', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, 'appendonlydir'), { recursive: true });
    await writeFile(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'old');
    await writeFile(join(dir, 'dump.rdb'), 'old data');
    const refused = await restore(['--from', location, '--data-dir', dir]);
    assert.equal(refused.code, RESTORE_EXIT.existingData);
    assert.match(refused.err, /--force/);
    assert.equal(await readFile(join(dir, 'dump.rdb'), 'utf8'), 'old data');

    const forced = await restore(['--from', location, '--data-dir', dir, '--force']);
    assert.equal(forced.code, RESTORE_EXIT.restored, forced.err);
    assert.deepEqual(await readFile(join(dir, 'dump.rdb')), rdb);
    assert.deepEqual((await readdir(dir)).sort(), ['dump.rdb'], 'the old AOF directory would have been loaded instead');
    assert.deepEqual(JSON.parse(forced.out).replaced.sort(), ['appendonlydir', 'dump.rdb']);
  });

  it('--if-empty: restores into an empty directory, does nothing (exit 0) where data is', async () => {
    const empty = await freshDir();
    const restored = await restore(['--from', location, '--data-dir', empty, '--if-empty']);
    assert.equal(restored.code, RESTORE_EXIT.restored, restored.err);
    assert.equal(JSON.parse(restored.out).restored, true);
    assert.deepEqual(await readFile(join(empty, 'dump.rdb')), rdb);

    const dir = await freshDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'dump.rdb'), 'kept');
    const before = await listing(dir);
    const skipped = await restore(['--from', location, '--data-dir', dir, '--if-empty']);
    assert.equal(skipped.code, RESTORE_EXIT.restored, skipped.err);
    assert.deepEqual(JSON.parse(skipped.out), {
      restored: false,
      from: location,
      dataDir: dir,
      skipped: 'existing-data',
      present: ['dump.rdb'],
    });
    assert.deepEqual(await listing(dir), before);
    const both = await restore(['--from', location, '--data-dir', dir, '--if-empty', '--force']);
    assert.equal(both.code, RESTORE_EXIT.usage);
  });

  it('a location with no backup: exit 1 naming it', async () => {
    const res = await restore(['--from', `s3://${BUCKET}/nothing-here/`, '--data-dir', await freshDir()]);
    assert.equal(res.code, RESTORE_EXIT.failed);
    assert.match(res.err, /nothing-here\/metadata\.json does not exist/);
  });

  it('bad usage: exit 2', async () => {
    assert.equal((await restore(['--data-dir', await freshDir()])).code, RESTORE_EXIT.usage);
    assert.equal((await restore(['--from', 'http://x/y', '--data-dir', await freshDir()])).code, RESTORE_EXIT.usage);
    assert.equal((await restore(['--from', location, '--bogus'])).code, RESTORE_EXIT.usage);
  });
});
