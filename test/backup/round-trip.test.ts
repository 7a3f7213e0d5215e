// The whole round trip: a known dataset, a backup (RDB and AOF) uploaded to s3rver, a restore
// into a fresh data directory by the restore command, a manager started on it: DEBUG DIGEST
// of the restored Redis equals the original's.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { backupAndWait, digest, keyPrefix, startBackupManager, writeDataset } from './support/fixtures.js';
import { runRestoreCli } from './support/restore-cli.js';
import { BUCKET, TestStorage } from './support/storage.js';

describe('backup round trip through s3rver', function () {
  this.timeout(120_000);
  let storage: TestStorage;

  before(async () => {
    storage = await TestStorage.start();
  });
  after(() => storage.stop());

  for (const type of ['rdb', 'aof'] as const) {
    describe(`${type} backup`, () => {
      let m: TestManager;
      // AOF on, so the archive holds a real multi-part AOF directory (base and incr files).
      const redisConf = type === 'aof' ? ['appendonly yes'] : [];

      before(async () => {
        m = await startBackupManager({ raw: storage.raw(`rt-${type}`), redisConf });
      });
      after(() => m.stop());

      it('uploads the data object and metadata.json, then restores to the same DEBUG DIGEST', async () => {
        const redis = redisClient(m.redisPort);
        await writeDataset(redis);
        const before = await digest(redis);

        const backup = await backupAndWait(m, { type });
        assert.equal(backup.state, 'completed', backup.error ?? '');
        assert.equal(backup.type, type);
        assert.equal(backup.upload, true);
        assert.ok(backup.location?.startsWith(`s3://${BUCKET}/rt-${type}/${backup.id}/`), String(backup.location));
        assert.ok(backup.bytesTotal! > 0);
        assert.equal(backup.bytesUploaded, backup.bytesTotal);
        assert.equal(typeof backup.saveSeconds, 'number');
        assert.equal(typeof backup.uploadSeconds, 'number');
        assert.equal(backup.error, null);
        // Nothing written since the save: the original's digest is the backup's.
        assert.equal(await digest(redis), before);

        const prefix = keyPrefix(backup.location!);
        const dataName = type === 'rdb' ? 'dump.rdb' : 'appendonly.tar';
        assert.deepEqual(await storage.keys(prefix), [prefix + dataName, prefix + 'metadata.json']);
        const metadata = JSON.parse((await storage.get(prefix + 'metadata.json')).toString());
        const info = String(await redis.info('server'));
        assert.equal(metadata.sha256, backup.sha256);
        assert.equal(metadata.size, backup.bytesTotal);
        assert.equal(metadata.type, type);
        assert.equal(metadata.role, 'primary');
        assert.equal(metadata.redisVersion, /redis_version:(\S+)/.exec(info)![1]);
        assert.match(metadata.replicationId, /^[0-9a-f]{40}$/);
        assert.equal(typeof metadata.replicationOffset, 'number');
        assert.ok(metadata.lastSave > 0);
        assert.equal(metadata.managerVersion, m.instance.identity.version);
        if (type === 'aof') {
          assert.equal(metadata.aof.dir, 'appendonlydir');
          assert.ok(metadata.aof.files.some((f: string) => f.endsWith('.manifest')));
          assert.ok(metadata.aof.files.some((f: string) => f.includes('.base.')));
          assert.ok(metadata.aof.files.some((f: string) => f.includes('.incr.')));
        }

        const restoredDir = join(await tempDir('im-restored-'), 'data');
        const result = await runRestoreCli([
          '--from',
          backup.location!,
          '--data-dir',
          restoredDir,
          '--s3-endpoint',
          storage.endpoint,
          '--s3-path-style',
          '--s3-region',
          'us-east-1',
        ]);
        assert.equal(result.code, 0, result.stderr);
        const summary = JSON.parse(result.stdout.trim());
        assert.equal(summary.sha256, backup.sha256);
        assert.deepEqual(summary.installed, [type === 'rdb' ? 'dump.rdb' : 'appendonlydir']);

        const restored = await startBackupManager({ dataDir: restoredDir, redisConf });
        try {
          const copy = redisClient(restored.redisPort);
          assert.equal(await digest(copy), before);
          assert.ok((await copy.ttl('k:ttl:0')) > 3000, 'expiring keys keep their TTL');
          assert.deepEqual(await copy.hgetall('k:hash:3'), { a: '3', b: 'bee', c: 'xxx' });
        } finally {
          await restored.stop();
        }
      });

      it('shows the backup in GET /v1/backups and as lastBackup in /v1/status', async () => {
        const list = await api(m).get('/v1/backups').set(auth()).expect(200);
        assert.equal(list.body.items.length, 1);
        assert.equal(list.body.items[0].type, type);
        const status = await api(m).get('/v1/status').expect(200);
        assert.equal(status.body.lastBackup.id, list.body.items[0].id);
        assert.equal(status.body.lastBackup.state, 'completed');
      });

      it('a second backup is listed first and gets its own objects', async () => {
        const first = (await api(m).get('/v1/backups').set(auth()).expect(200)).body.items[0];
        await redisClient(m.redisPort).set('after-first', '1');
        const second = await backupAndWait(m, { type });
        assert.equal(second.state, 'completed', second.error ?? '');
        assert.notEqual(second.sha256, first.sha256);
        const list = await api(m).get('/v1/backups').set(auth()).expect(200);
        assert.deepEqual(
          list.body.items.map((b: { id: string }) => b.id),
          [second.id, first.id],
        );
      });
    });
  }

  it('upload: false saves only: completed, nothing in storage, no location', async () => {
    const m = await startBackupManager({ raw: storage.raw('local-only') });
    try {
      await writeDataset(redisClient(m.redisPort));
      const backup = await backupAndWait(m, { upload: false });
      assert.equal(backup.state, 'completed', backup.error ?? '');
      assert.equal(backup.upload, false);
      assert.equal(backup.location, null);
      assert.ok(backup.bytesTotal! > 0);
      assert.deepEqual(await storage.keys('local-only'), []);
    } finally {
      await m.stop();
    }
  });
});
