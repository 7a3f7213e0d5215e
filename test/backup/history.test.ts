// The backup history survives the manager: two backups (one uploaded, one a local save) are
// listed with the same fields after a SIGTERM restart and after an in-place upgrade (exec),
// read through the client's paging helper. Real bundles, as a pod runs them.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createClient, eachBackup, update, type Backup } from '../../generated/client/src/index.js';
import { spawnManager, TEST_TOKEN } from '../helpers/manager.js';
import { killPid, killRedisIn } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { buildBundle, startBundledManager, type BundledManager } from '../upgrade/bundles.js';
import { testRedisConfig } from './support/fixtures.js';
import { TestStorage } from './support/storage.js';

describe('backup history across restarts and upgrades', function () {
  this.timeout(180_000);
  let storage: TestStorage;
  let m: BundledManager;
  let flags: string[];

  before(async () => {
    storage = await TestStorage.start();
    const raw = storage.raw('history');
    flags = [
      '--s3-endpoint',
      raw.s3Endpoint,
      '--s3-bucket',
      raw.s3Bucket,
      '--s3-prefix',
      raw.s3Prefix,
      '--s3-path-style',
      '--redis-config',
      await testRedisConfig(),
    ];
    m = await startBundledManager('1.0.0-base', flags);
  });
  after(async () => {
    // The running manager may be a restarted one: stop whichever it is, and its Redis.
    if (m && m.child.exitCode === null) {
      killPid(m.child.pid!, 'SIGTERM');
      await Promise.race([m.exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    if (m) await killRedisIn(m.dataDir);
    await storage.stop();
  });

  const client = () => createClient({ baseUrl: m.url, token: TEST_TOKEN });

  async function all(): Promise<Backup[]> {
    const items: Backup[] = [];
    for await (const backup of eachBackup(client(), { pageSize: 1, requireStorage: true })) items.push(backup);
    return items;
  }

  async function finished(id: string): Promise<Backup> {
    return waitFor(
      `backup ${id}`,
      async () => {
        const b = await client().getBackup({ path: { id } });
        return b.state === 'completed' || b.state === 'failed' ? b : undefined;
      },
      60_000,
    );
  }

  it('two backups are still listed, field for field, after a SIGTERM restart and an exec upgrade', async () => {
    const uploaded = await finished((await client().startBackup({ body: { type: 'rdb' } })).id);
    const local = await finished((await client().startBackup({ body: { type: 'rdb', upload: false } })).id);
    assert.equal(uploaded.state, 'completed', uploaded.error ?? '');
    assert.equal(local.state, 'completed', local.error ?? '');
    const listed = await all();
    assert.deepEqual(
      listed.map((b) => [b.id, b.foundIn]),
      [
        [local.id, ['journal']],
        [uploaded.id, ['journal', 'storage']],
      ],
    );

    // SIGTERM: the manager shuts Redis down and exits; a new one starts on the same data directory.
    const before = (await client().getStatus()).manager.sessionId;
    killPid(m.child.pid!, 'SIGTERM');
    assert.equal(await m.exited, 0);
    const restarted = await spawnManager(
      { dataDir: m.dataDir, redisPort: m.redisPort, tokenFile: m.tokenFile, extra: flags },
      m.bundle,
    );
    m = { ...m, ...restarted };
    assert.notEqual((await client().getStatus()).manager.sessionId, before);
    assert.deepEqual(await all(), listed, 'after a restart');
    assert.deepEqual((await client().getStatus()).lastBackup, listed[0]);
    // The last-success gauge is the journal's too (an alert must not see "never" after a restart).
    const metrics = await client().getMetrics();
    assert.match(
      metrics,
      new RegExp(
        `^instance_manager_backup_last_success_timestamp_seconds ${Date.parse(local.finishedAt!) / 1000}$`,
        'm',
      ),
    );

    // An in-place upgrade: the same process execs a new build.
    const outcome = await update(client(), await readFile(await buildBundle('9.9.9')), { timeoutMs: 60_000 });
    assert.equal(outcome.version, '9.9.9');
    assert.deepEqual(await all(), listed, 'after an exec upgrade');
    assert.deepEqual(await client().getBackup({ path: { id: uploaded.id } }), listed[1]);
  });
});
