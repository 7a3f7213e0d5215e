// Storage faults: down before the upload, gone in the middle of it, parts failing while it is
// up, refused credentials, a missing bucket, metadata that cannot be written. Each ends in
// state failed with a reason, leaves no object (and no pending multipart upload where the
// storage can still be told), and the next backup works.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { backupAndWait, startBackupManager } from './support/fixtures.js';
import { isUploadPart, TestStorage } from './support/storage.js';
import type { BackupView } from '../../src/domain/backup/backup-record.js';

const PREFIX = 'faults';

describe('backup: storage faults', function () {
  this.timeout(120_000);
  let storage: TestStorage;
  let m: TestManager;

  before(async () => {
    storage = await TestStorage.start();
    m = await startBackupManager({ raw: storage.raw(PREFIX) });
    const redis = redisClient(m.redisPort);
    // About 12 MB of RDB, uncompressed: at least two 5 MiB parts, so a real multipart upload.
    await redis.config('SET', 'rdbcompression', 'no');
    await redis.call('DEBUG', 'POPULATE', '110000', 'big', '100');
  });
  after(async () => {
    await m.stop();
    await storage.stop();
  });
  afterEach(() => {
    storage.fault = () => 'pass';
    return storage.up();
  });

  async function assertNothingStored(backup: BackupView): Promise<void> {
    assert.deepEqual(await storage.keys(`${PREFIX}/${backup.id}/`), [], 'no object of the failed backup');
    assert.equal(backup.location, null);
    assert.equal(backup.sha256, null);
  }

  async function assertNextBackupWorks(): Promise<void> {
    storage.fault = () => 'pass';
    await storage.up();
    const next = await backupAndWait(m);
    assert.equal(next.state, 'completed', next.error ?? '');
    assert.deepEqual(await storage.keys(`${PREFIX}/${next.id}/`), [
      `${PREFIX}/${next.id}/dump.rdb`,
      `${PREFIX}/${next.id}/metadata.json`,
    ]);
    assert.deepEqual(await storage.pendingUploads(), []);
  }

  it('storage down before the upload: failed (storage_unreachable), nothing stored, next works', async () => {
    await storage.down();
    const backup = await backupAndWait(m);
    assert.equal(backup.state, 'failed');
    assert.equal(backup.errorCode, 'storage_unreachable');
    assert.match(backup.error!, /not reachable/);
    assert.ok(backup.bytesTotal! > 8 * 1024 * 1024);
    await storage.up();
    await assertNothingStored(backup);
    await assertNextBackupWorks();
  });

  it('storage gone in the middle of the upload: failed, no object, next works', async () => {
    let parts = 0;
    storage.fault = (req) => (isUploadPart(req) && ++parts === 2 ? 'down' : 'pass');
    const backup = await backupAndWait(m);
    assert.equal(backup.state, 'failed');
    assert.equal(backup.errorCode, 'storage_unreachable', backup.error ?? '');
    assert.ok(parts >= 2, 'the storage went down after a part had been sent');
    await storage.up();
    await assertNothingStored(backup);
    // The abort could not reach the storage: the parts are still there until the next upload.
    assert.equal((await storage.pendingUploads()).length, 1);
    await assertNextBackupWorks();
  });

  it('parts failing while the storage is up: the multipart upload is aborted, no parts left behind', async () => {
    storage.requests.length = 0;
    storage.fault = (req) => (isUploadPart(req) ? 'cut' : 'pass');
    const backup = await backupAndWait(m);
    assert.equal(backup.state, 'failed');
    assert.match(String(backup.errorCode), /^storage_/);
    assert.ok(
      storage.requests.some((r) => r.method === 'DELETE' && /uploadId=/.test(r.url)),
      'AbortMultipartUpload was sent',
    );
    assert.deepEqual(await storage.pendingUploads(), [], 'no pending multipart upload');
    await assertNothingStored(backup);
    await assertNextBackupWorks();
  });

  it('metadata.json cannot be written: the data object is taken back', async () => {
    storage.fault = (req) => (req.method === 'PUT' && /metadata\.json/.test(req.url ?? '') ? 'cut' : 'pass');
    const backup = await backupAndWait(m);
    assert.equal(backup.state, 'failed');
    assert.match(backup.error!, /metadata\.json/);
    await assertNothingStored(backup);
    await assertNextBackupWorks();
  });

  it('wrong credentials: failed (storage_denied) without the key in the error, next works', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'WRONGKEYID123';
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret-value';
    let backup: BackupView;
    try {
      backup = await backupAndWait(m);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
    assert.equal(backup.state, 'failed');
    assert.equal(backup.errorCode, 'storage_denied', backup.error ?? '');
    assert.doesNotMatch(backup.error!, /WRONGKEYID123|wrong-secret-value/);
    await assertNothingStored(backup);
    await assertNextBackupWorks();
  });

  it('a missing bucket: failed (storage_no_bucket) naming the bucket', async () => {
    const other = await startBackupManager({ raw: storage.raw('x', 'no-such-bucket') });
    try {
      const backup = await backupAndWait(other);
      assert.equal(backup.state, 'failed');
      assert.equal(backup.errorCode, 'storage_no_bucket', backup.error ?? '');
      assert.match(backup.error!, /no-such-bucket/);
    } finally {
      await other.stop();
    }
  });

  it('counts failures by reason and the last success in BackupStats', async () => {
    const stats = m.instance.backups.stats;
    const failures = stats.failuresByReason();
    assert.ok(failures.get('storage_unreachable')! >= 2);
    assert.ok(failures.get('storage_denied')! >= 1);
    assert.ok(stats.completedTotal >= 5);
    assert.ok(stats.lastSizeBytes! > 8 * 1024 * 1024);
    const list = await api(m).get('/v1/backups').set(auth()).expect(200);
    const lastCompleted = list.body.items.find((b: BackupView) => b.state === 'completed');
    assert.equal(stats.lastSuccessTimestampSeconds, Date.parse(lastCompleted.finishedAt) / 1000);
  });
});
