// SIGTERM during a backup: the backup ends as failed (shutdown) within the grace period, its
// multipart upload is aborted, and no object is left.
import assert from 'node:assert/strict';
import { redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { startBackup, startBackupManager } from './support/fixtures.js';
import { isUploadPart, TestStorage } from './support/storage.js';

describe('backup: shutdown', function () {
  this.timeout(60_000);
  let storage: TestStorage;

  before(async () => {
    storage = await TestStorage.start();
  });
  after(() => storage.stop());

  it('shutdown during a save ends the backup as failed (shutdown)', async () => {
    const m = await startBackupManager({ raw: storage.raw('shutdown-save') });
    const redis = redisClient(m.redisPort);
    await redis.call('DEBUG', 'POPULATE', '1000');
    await redis.config('SET', 'rdb-key-save-delay', '2000');
    const backup = await startBackup(m);
    await m.stop();
    const ended = await m.instance.backups.get(backup.id);
    assert.equal(ended.state, 'failed');
    assert.equal(ended.errorCode, 'shutdown');
    assert.deepEqual(await storage.keys('shutdown-save/'), []);
  });

  it('shutdown during an upload aborts it: no object, no pending parts', async () => {
    const m = await startBackupManager({ raw: storage.raw('shutdown-upload') });
    const redis = redisClient(m.redisPort);
    await redis.config('SET', 'rdbcompression', 'no');
    await redis.call('DEBUG', 'POPULATE', '110000', 'big', '100');
    // Hold the second part unanswered: the upload is surely in flight when SIGTERM comes, and
    // cannot end on its own first (a cut part would fail it after the SDK's retries).
    let parts = 0;
    storage.fault = (req) => (isUploadPart(req) && ++parts >= 2 ? 'hold' : 'pass');
    try {
      const backup = await startBackup(m);
      await waitFor('the upload to start', () => parts >= 2 || undefined, 30_000);
      await m.stop();
      storage.fault = () => 'pass';
      const ended = await m.instance.backups.get(backup.id);
      assert.equal(ended.state, 'failed');
      assert.equal(ended.errorCode, 'shutdown');
      await waitFor(
        'the abort to reach the storage',
        async () => (await storage.pendingUploads()).length === 0 || undefined,
      );
      assert.deepEqual(await storage.keys('shutdown-upload/'), []);
    } finally {
      storage.fault = () => 'pass';
      storage.releaseHeld();
    }
  });
});
