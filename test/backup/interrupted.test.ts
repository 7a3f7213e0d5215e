// A manager that dies in the middle of a backup: SIGKILL during the upload of a ~50 MiB dataset,
// then a restart: the backup is failed/interrupted and no multipart upload is left open
// (ListMultipartUploads is empty). And the two ways the storage side is settled after such a
// death: the upload had completed (metadata.json written) → completed; only a stray data object
// made it → deleted, failed/interrupted.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, spawnManager, testPaths, type ManagerProcess } from '../helpers/manager.js';
import { killPid, killRedisIn, redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { buildBundle } from '../upgrade/bundles.js';
import { backupAndWait, startBackup, startBackupManager, testRedisConfig } from './support/fixtures.js';
import { isUploadPart, TestStorage } from './support/storage.js';
import { createLogger } from '../../src/log.js';
import { BackupJournal } from '../../src/domain/backup/journal.js';
import { newRecord, type BackupView } from '../../src/domain/backup/backup-record.js';

describe('backup interrupted by the end of the manager', function () {
  this.timeout(120_000);
  let storage: TestStorage;

  before(async () => {
    storage = await TestStorage.start();
  });
  after(() => storage.stop());

  it('SIGKILL mid-upload, restart: failed/interrupted, the multipart upload aborted, nothing stored', async () => {
    const prefix = 'killed';
    const raw = storage.raw(prefix);
    const paths = await testPaths();
    const extra = [
      '--s3-endpoint',
      raw.s3Endpoint,
      '--s3-bucket',
      raw.s3Bucket,
      '--s3-prefix',
      prefix,
      '--s3-path-style',
      '--redis-config',
      await testRedisConfig(['rdbcompression no']),
    ];
    const bundle = await buildBundle('1.0.0-base');
    const start = () => spawnManager({ ...paths, extra }, bundle);
    let m: ManagerProcess = await start();
    try {
      // About 50 MiB of RDB: several parts, so the upload is surely a multipart one in flight.
      await redisClient(paths.redisPort).call('DEBUG', 'POPULATE', '50000', 'big', '1000');
      let parts = 0;
      storage.fault = (req) => (isUploadPart(req) && ++parts >= 2 ? 'hold' : 'pass');
      const backup = await startBackup(m);
      const uploading = await waitFor(
        'the upload to be in flight',
        async () => {
          const b = (await api(m).get(`/v1/backups/${backup.id}`).set(auth()).expect(200)).body as BackupView;
          return b.state === 'uploading' && storage.heldRequests > 0 ? b : undefined;
        },
        60_000,
      );
      assert.ok(uploading.bytesTotal! > 45 * 1024 * 1024, String(uploading.bytesTotal));
      assert.deepEqual(await storage.multipartUploads(`${prefix}/`), [`${prefix}/${backup.id}/dump.rdb`]);

      killPid(m.child.pid!, 'SIGKILL');
      await m.exited;
      storage.releaseHeld();
      storage.fault = () => 'pass';

      m = await start();
      const after = (await api(m).get(`/v1/backups/${backup.id}`).set(auth()).expect(200)).body as BackupView;
      assert.equal(after.state, 'failed');
      assert.equal(after.errorCode, 'interrupted');
      assert.match(after.error!, /while this backup was uploading/);
      assert.equal(after.startedAt, backup.startedAt);
      await waitFor(
        'the interrupted upload to be aborted',
        async () => (await storage.multipartUploads(`${prefix}/`)).length === 0,
        20_000,
      );
      assert.deepEqual(await storage.keys(`${prefix}/`), []);
      assert.match(m.output(), /interrupted/);
      const metrics = (await api(m).get('/metrics').expect(200)).text;
      assert.match(metrics, /^instance_manager_backup_failures_total\{reason="interrupted"\} 1$/m);
    } finally {
      killPid(m.child.pid!, 'SIGTERM');
      await Promise.race([m.exited, new Promise((r) => setTimeout(r, 15_000))]);
      await killRedisIn(paths.dataDir);
    }
  });

  it('settled at start against storage: completed when its metadata made it, else its stray object deleted', async () => {
    const prefix = 'settled';
    const m = await startBackupManager({ raw: storage.raw(prefix) });
    const done = await backupAndWait(m);
    assert.equal(done.state, 'completed', done.error ?? '');
    await m.stop();

    // As if the manager had died twice: once after metadata.json was written but before the
    // journal said so, once after a data object was completed but before its metadata.
    const log = createLogger('silent');
    const { journal } = await BackupJournal.open(m.dataDir, log);
    const record = (await BackupJournal.open(m.dataDir, log)).records.find((r) => r.id === done.id)!;
    await journal.write({ ...record, state: 'uploading', finishedAt: null, sha256: null, location: null });
    const stray = { ...newRecord('rdb', true, new Date(), 'redis-0'), state: 'uploading' as const };
    await journal.write(stray);
    await storage.put(`${prefix}/${stray.id}/dump.rdb`, 'half a backup');

    const again = await startBackupManager({ dataDir: m.dataDir, raw: storage.raw(prefix) });
    try {
      const [completed, failed] = await waitFor('both to be settled', async () => {
        const a = (await api(again).get(`/v1/backups/${done.id}`).set(auth()).expect(200)).body as BackupView;
        const b = (await api(again).get(`/v1/backups/${stray.id}`).set(auth()).expect(200)).body as BackupView;
        const keys = await storage.keys(`${prefix}/${stray.id}/`);
        return a.state === 'completed' && keys.length === 0 ? [a, b] : undefined;
      });
      assert.equal(completed.sha256, done.sha256);
      assert.equal(completed.location, done.location);
      assert.deepEqual(completed.foundIn, ['journal', 'storage']);
      assert.equal(failed.state, 'failed');
      assert.equal(failed.errorCode, 'interrupted');
    } finally {
      await again.stop();
    }
  });
});
