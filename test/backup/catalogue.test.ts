// The object store as the catalogue: a second manager with a new data directory and the same
// prefix lists the first one's backups, fetches one by id, and `restore …/latest` brings back
// the newest to the same DEBUG DIGEST (`--backup-id` an older one). Paging, and a storage that
// cannot be read (the journal is still listed, and says so).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { backupAndWait, digest, startBackupManager, writeDataset } from './support/fixtures.js';
import { restoreCommand } from '../../src/domain/backup/restore-cli.js';
import { BUCKET, TestStorage } from './support/storage.js';
import type { BackupView } from '../../src/domain/backup/backup-record.js';

const PREFIX = 'cluster-a';

describe('backup catalogue in the object store', function () {
  this.timeout(120_000);
  let storage: TestStorage;
  let first: TestManager;
  let fresh: TestManager;
  const made: { backup: BackupView; digest: string }[] = [];

  before(async () => {
    storage = await TestStorage.start();
    first = await startBackupManager({ raw: storage.raw(PREFIX) });
    const redis = redisClient(first.redisPort);
    for (const tag of ['one', 'two', 'three']) {
      await writeDataset(redis, tag);
      const backup = await backupAndWait(first);
      assert.equal(backup.state, 'completed', backup.error ?? '');
      made.push({ backup, digest: await digest(redis) });
    }
    // Written after the last backup: not in any backup.
    await redis.set('after-the-backups', '1');
    fresh = await startBackupManager({ raw: storage.raw(PREFIX) });
  });
  /** `instance-manager restore` in this process (the round-trip test runs it as its own). */
  async function restore(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await restoreCommand(
      [...args, '--s3-endpoint', storage.endpoint, '--s3-path-style'],
      {},
      (l) => (stdout += l + '\n'),
      (l) => (stderr += l + '\n'),
    );
    return { code, stdout, stderr };
  }

  after(async () => {
    await fresh?.stop();
    await first?.stop();
    await storage.stop();
  });

  it("a fresh manager lists the first one's backups, found in storage, newest first", async () => {
    const res = await api(fresh).get('/v1/backups').set(auth()).expect(200);
    assert.equal(res.body.storage, 'listed');
    assert.equal(res.body.storageError, null);
    assert.equal(res.body.next, null);
    const items = res.body.items as BackupView[];
    assert.deepEqual(
      items.map((b) => b.id),
      made.map((m) => m.backup.id).reverse(),
    );
    for (const item of items) {
      const original = made.find((m) => m.backup.id === item.id)!.backup;
      assert.deepEqual(item.foundIn, ['storage']);
      assert.equal(item.state, 'completed');
      assert.equal(item.sha256, original.sha256);
      assert.equal(item.bytesTotal, original.bytesTotal);
      assert.equal(item.location, original.location);
      assert.equal(item.startedAt, original.startedAt);
      assert.equal(item.hostname, original.hostname);
    }
    // The first manager has them in its journal and in storage.
    const own = await api(first).get('/v1/backups').set(auth()).expect(200);
    assert.ok((own.body.items as BackupView[]).every((b) => b.foundIn.join() === 'journal,storage'));
  });

  it('fetches one of them by id; an id nobody has is 404', async () => {
    const wanted = made[1].backup;
    const res = await api(fresh).get(`/v1/backups/${wanted.id}`).set(auth()).expect(200);
    assert.equal(res.body.sha256, wanted.sha256);
    assert.deepEqual(res.body.foundIn, ['storage']);
    await api(fresh).get('/v1/backups/20990101T000000Z-000000').set(auth()).expect(404);
  });

  it('pages with limit and after', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const path: string = `/v1/backups?limit=2${after ? `&after=${after}` : ''}`;
      const res = await api(fresh).get(path).set(auth()).expect(200);
      assert.ok(res.body.items.length <= 2);
      ids.push(...(res.body.items as BackupView[]).map((b) => b.id));
      after = res.body.next as string | null;
      pages++;
    } while (after);
    assert.equal(pages, 2);
    assert.deepEqual(ids, made.map((m) => m.backup.id).reverse());
    await api(fresh).get('/v1/backups?limit=0').set(auth()).expect(400);
    await api(fresh).get('/v1/backups?limit=101').set(auth()).expect(400);
    await api(fresh).get('/v1/backups?after=..%2Fx').set(auth()).expect(400);
  });

  it('restore …/latest restores the newest to the same DEBUG DIGEST; --backup-id an older one', async () => {
    const cases = [
      { args: ['--from', `s3://${BUCKET}/${PREFIX}/latest`], expected: made[2] },
      { args: ['--from', `s3://${BUCKET}/${PREFIX}`, '--backup-id', made[0].backup.id], expected: made[0] },
    ];
    for (const { args, expected } of cases) {
      const dataDir = join(await tempDir('im-latest-'), 'data');
      const result = await restore([...args, '--data-dir', dataDir]);
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout.trim());
      assert.equal(summary.id, expected.backup.id);
      assert.equal(summary.location, expected.backup.location);
      assert.ok(summary.loadCheck.keys > 0, 'the load check counted the keys');
      const restored = await startBackupManager({ dataDir });
      try {
        const copy = redisClient(restored.redisPort);
        assert.equal(await digest(copy), expected.digest);
        assert.equal(await copy.exists('after-the-backups'), 0);
      } finally {
        await restored.stop();
      }
    }
  });

  it('latest and --backup-id together is bad usage; an empty prefix has no latest', async () => {
    const dir = join(await tempDir('im-latest-'), 'data');
    const both = await restore([
      '--from',
      `s3://${BUCKET}/${PREFIX}/latest`,
      '--backup-id',
      made[0].backup.id,
      '--data-dir',
      dir,
    ]);
    assert.equal(both.code, 2, both.stderr);
    const none = await restore(['--from', `s3://${BUCKET}/nothing-here/latest`, '--data-dir', dir]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no completed backup whose metadata verifies under s3:\/\/backups\/nothing-here\//);
  });

  it('a metadata.json that cannot be read: the answer says the listing is incomplete, and nothing can be deleted', async () => {
    const another = await startBackupManager({ raw: storage.raw(PREFIX) });
    const unreadable = made[0].backup.id;
    storage.fault = (req) =>
      req.method === 'GET' && (req.url ?? '').includes(`/${unreadable}/metadata.json`) ? 'cut' : 'pass';
    try {
      const res = await api(another).get('/v1/backups').set(auth()).expect(200);
      assert.equal(res.body.storage, 'incomplete');
      assert.match(res.body.storageError, new RegExp(`${unreadable}/metadata\\.json`));
      assert.deepEqual(
        (res.body.items as BackupView[]).map((b) => b.id),
        [made[2].backup.id, made[1].backup.id],
      );
      const refused = await api(another).delete(`/v1/backups/${made[1].backup.id}`).set(auth()).expect(503);
      assert.match(refused.body.detail, /cannot be read completely.*nothing was deleted/);
      assert.equal((await storage.keys(`${PREFIX}/${made[1].backup.id}/`)).length, 2);
    } finally {
      storage.fault = () => 'pass';
      await another.stop();
    }
  });

  it('storage down: the journal is still listed, and the answer says storage is unavailable', async () => {
    await storage.down();
    try {
      const own = await api(first).get('/v1/backups').set(auth()).expect(200);
      assert.equal(own.body.storage, 'unavailable');
      assert.match(own.body.storageError, /not reachable/);
      assert.equal(own.body.items.length, 3);
      assert.ok((own.body.items as BackupView[]).every((b) => b.foundIn.join() === 'journal'));
      const other = await api(fresh).get('/v1/backups').set(auth()).expect(200);
      assert.deepEqual(other.body.items, []);
      // Only storage could tell: 503, not 404.
      await api(fresh).get(`/v1/backups/${made[0].backup.id}`).set(auth()).expect(503);
    } finally {
      await storage.up();
    }
  });
});
