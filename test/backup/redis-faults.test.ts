// Redis-side faults and races: a save that fails, redis-server killed during BGSAVE, a BGSAVE
// or AOF rewrite already running, a BGSAVE that Redis schedules behind an AOF rewrite, and a
// second backup while one runs (409).
import assert from 'node:assert/strict';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { killPid, redisClient } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { backupAndWait, finished, startBackup, startBackupManager, writeDataset } from './support/fixtures.js';
import { TestStorage } from './support/storage.js';

const PREFIX = 'redis-faults';

async function infoField(redis: Redis, section: string, name: string): Promise<string> {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(String(await redis.info(section)));
  return m ? m[1].trim() : '';
}

/** Each key costs this many microseconds to save: a save of the dataset takes a couple of seconds. */
async function slowSaves(redis: Redis, on: boolean): Promise<void> {
  await redis.config('SET', 'rdb-key-save-delay', on ? '3000' : '0');
}

describe('backup: Redis faults and races', function () {
  this.timeout(120_000);
  let storage: TestStorage;
  let m: TestManager;
  let redis: Redis;

  before(async () => {
    storage = await TestStorage.start();
    m = await startBackupManager({ raw: storage.raw(PREFIX) });
    redis = redisClient(m.redisPort);
    await writeDataset(redis);
  });
  after(async () => {
    await m.stop();
    await storage.stop();
  });
  afterEach(async () => {
    await m.instance.backups.idle();
    await waitFor('redis to answer', async () => (await redis.ping().catch(() => '')) === 'PONG');
    await slowSaves(redis, false);
  });

  async function assertNextBackupWorks(): Promise<void> {
    const next = await backupAndWait(m);
    assert.equal(next.state, 'completed', next.error ?? '');
    assert.equal((await storage.keys(`${PREFIX}/${next.id}/`)).length, 2);
  }

  it('a save that fails (its directory removed under Redis): failed with the reason, nothing stored, next works', async () => {
    // Root ignores permissions, so the failure is a directory that no longer exists: the
    // child cannot create temp-<pid>.rdb in it (ENOENT), whoever runs it.
    const vanishing = join(await tempDir('im-vanish-'), 'dir');
    await mkdir(vanishing);
    await redis.config('SET', 'dir', vanishing);
    await rmdir(vanishing);
    try {
      const backup = await backupAndWait(m);
      assert.equal(backup.state, 'failed');
      assert.equal(backup.errorCode, 'save_failed');
      assert.match(backup.error!, /rdb_last_bgsave_status:err/);
      assert.equal(backup.saveSeconds, null);
      assert.equal(backup.bytesTotal, null);
      assert.deepEqual(await storage.keys(`${PREFIX}/${backup.id}/`), []);
      assert.equal(await infoField(redis, 'persistence', 'rdb_last_bgsave_status'), 'err');
    } finally {
      await redis.config('SET', 'dir', m.dataDir);
    }
    await assertNextBackupWorks();
    assert.equal(await infoField(redis, 'persistence', 'rdb_last_bgsave_status'), 'ok');
    assert.equal(await redis.set('writable-again', '1'), 'OK');
  });

  it('redis-server killed during BGSAVE: failed (redis_restarted), next works', async () => {
    await slowSaves(redis, true);
    const pid = m.instance.supervisor!.pid!;
    const started = await startBackup(m);
    await waitFor(
      'BGSAVE to run',
      async () => (await infoField(redis, 'persistence', 'rdb_bgsave_in_progress')) === '1',
    );
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8'))
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    assert.ok(children.length >= 1, 'the BGSAVE child is running');
    for (const child of children) killPid(child, 'SIGKILL');
    killPid(pid, 'SIGKILL');
    const backup = await finished(m, started.id);
    assert.equal(backup.state, 'failed');
    assert.equal(backup.errorCode, 'redis_restarted', backup.error ?? '');
    assert.match(backup.error!, /restarted/);
    assert.deepEqual(await storage.keys(`${PREFIX}/${backup.id}/`), []);
    await waitFor(
      'the supervisor to restart redis-server',
      () => (m.instance.supervisor!.pid ?? pid) !== pid || undefined,
    );
    await waitFor('redis to answer', async () => (await redis.ping().catch(() => '')) === 'PONG');
    await assertNextBackupWorks();
  });

  it('BGSAVE already running: the backup waits for it and uses it (no second fork)', async () => {
    await slowSaves(redis, true);
    const lastSave = Number(await redis.lastsave());
    await waitFor('a new second', async () => Number((await redis.time())[0]) > lastSave);
    assert.equal(await redis.bgsave(), 'Background saving started');
    const forks = Number(await infoField(redis, 'stats', 'total_forks'));
    const backup = await backupAndWait(m);
    assert.equal(backup.state, 'completed', backup.error ?? '');
    assert.equal(Number(await infoField(redis, 'stats', 'total_forks')), forks, 'the running BGSAVE was used');
    assert.ok(Number(await redis.lastsave()) > lastSave);
  });

  it('AOF rewrite already running: the backup waits for it and uses it', async () => {
    await slowSaves(redis, true);
    await redis.bgrewriteaof();
    assert.equal(await infoField(redis, 'persistence', 'aof_rewrite_in_progress'), '1');
    const backup = await backupAndWait(m, { type: 'aof' });
    assert.equal(backup.state, 'completed', backup.error ?? '');
    assert.equal(await infoField(redis, 'persistence', 'aof_rewrite_in_progress'), '0');
    assert.ok((await storage.keys(`${PREFIX}/${backup.id}/`)).includes(`${PREFIX}/${backup.id}/appendonly.tar`));
  });

  it('an RDB backup while an AOF rewrite runs: Redis schedules the BGSAVE, the backup waits for it', async () => {
    await slowSaves(redis, true);
    await redis.bgrewriteaof();
    const lastSave = Number(await redis.lastsave());
    const backup = await backupAndWait(m);
    assert.equal(backup.state, 'completed', backup.error ?? '');
    assert.ok(Number(await redis.lastsave()) > lastSave, 'the scheduled BGSAVE ran');
  });

  it('a second backup while one runs is 409; the first is unaffected', async () => {
    await slowSaves(redis, true);
    const first = await startBackup(m);
    const res = await api(m).post('/v1/backup').set(auth()).send({ type: 'aof' }).expect(409);
    assert.match(res.body.detail, new RegExp(first.id));
    const list = await api(m).get('/v1/backups').set(auth()).expect(200);
    assert.equal(list.body.items[0].id, first.id, 'the refused request added nothing');
    assert.equal((await finished(m, first.id)).state, 'completed');
  });
});
