// Roles survive restarts: a SIGKILLed redis-server of a replica or of a primary, a killed
// manager, a wiped data directory. No node ever comes back as an empty writable primary.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readState } from '../../src/domain/state/state-file.js';
import { api } from '../helpers/api.js';
import { auth, spawnManager, testPaths, type TestManager } from '../helpers/manager.js';
import { killPid, killRedisIn, redisClient, saveWhenIdle } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { assertReadOnly, freshReplica, startTrio, status, waitForSync } from './cluster.js';

async function redisPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'redis.pid'), 'utf8')).trim());
}

/** SIGKILLs the node's redis-server and waits for the supervisor to start a new one. */
async function killRedisAndWait(m: { url: string; dataDir: string }): Promise<void> {
  const pid = await redisPid(m.dataDir);
  killPid(pid, 'SIGKILL');
  await waitFor(
    'redis-server to be restarted',
    async () => {
      const h = await api(m).get('/healthz');
      return h.status === 200 && h.body.pid !== pid;
    },
    20_000,
  );
  await waitFor('redis-server to answer', async () => (await api(m).get('/v1/status')).status === 200, 20_000);
}

describe('replication across restarts', function () {
  this.timeout(120_000);

  describe('SIGKILL of redis-server', () => {
    let a: TestManager, b: TestManager, c: TestManager;
    before(async () => {
      [a, b, c] = (await startTrio()) as [TestManager, TestManager, TestManager];
    });
    after(() => Promise.all([a, b, c].map((m) => m.stop())));

    it('a replica comes back as a replica of the same primary, with its data', async () => {
      await redisClient(a.redisPort).set('before-kill', '1');
      await waitForSync(b, a);
      await killRedisAndWait(b);
      await waitForSync(b, a);
      assert.equal(await redisClient(b.redisPort).get('before-kill'), '1');
      const conf = await readFile(join(b.dataDir, 'redis.conf'), 'utf8');
      assert.match(conf, new RegExp(`^replicaof 127\\.0\\.0\\.1 ${a.redisPort}$`, 'm'));
      await api(b).get('/readyz').expect(200);
    });

    it('a primary whose redis-server crashed is held: read-only, not ready, no fence, until a promote with its epoch confirms it; then writable with every key, its replicas follow it again', async () => {
      await api(a).post('/v1/promote').set(auth()).send({ epoch: 10 }).expect(200);
      const before = redisClient(a.redisPort);
      await before.set('saved', '1');
      await waitForSync(b, a);
      await waitForSync(c, a);
      // Saved, then killed at once: the RDB has every write and the offset the replicas have.
      await saveWhenIdle(before);
      await killRedisAndWait(a);
      const held = await waitFor(
        'a to be held',
        async () => {
          const r = await api(a).get('/readyz');
          return r.status === 503 && r.body.reasons.some((x: string) => x.startsWith('held:')) ? r : undefined;
        },
        20_000,
      );
      assert.equal(held.body.ready, false);
      let s = (await api(a).get('/v1/status').expect(200)).body;
      assert.deepEqual(
        [s.held, s.heldReason, s.desiredRole, s.role, s.epoch],
        [true, 'restart', 'primary', 'replica', 10],
      );
      await assertReadOnly(a);
      assert.match((await api(a).get('/metrics').expect(200)).text, /^redis_instance_held 1$/m);
      // Only the operator's word releases it: not a plain promote, not an older epoch, and no fence.
      assert.match((await api(a).post('/v1/promote').set(auth()).send({}).expect(409)).body.detail, /held/);
      await api(a).post('/v1/promote').set(auth()).send({ epoch: 9 }).expect(409);
      assert.match(
        (await api(a).post('/v1/fence').set(auth()).send({ timeoutMs: 1000 }).expect(409)).body.detail,
        /held/,
      );
      await assertReadOnly(a);

      await api(a).post('/v1/promote').set(auth()).send({ epoch: 10 }).expect(200);
      s = (await api(a).get('/v1/status').expect(200)).body;
      assert.deepEqual([s.held, s.heldReason, s.role], [false, null, 'primary']);
      assert.equal(await redisClient(a.redisPort).get('saved'), '1');
      assert.equal(await redisClient(a.redisPort).set('after-confirm', '1'), 'OK');
      await api(a).get('/readyz').expect(200);
      await waitForSync(b, a, 30_000);
      await waitForSync(c, a, 30_000);
      assert.equal(await redisClient(c.redisPort).get('after-confirm'), '1');
      // Redis keeps no replication backlog across a restart of a node that starts as a
      // replica (as a held node must: see hold.ts), so the replicas resync in full here; a
      // lease expiry, which restarts nothing, continues with a partial resync (lease.test.ts).
      const stats = await redisClient(a.redisPort).info('stats');
      assert.equal(
        Number(/sync_full:(\d+)/.exec(stats)![1]) + Number(/sync_partial_ok:(\d+)/.exec(stats)![1]),
        2,
        stats,
      );
      assert.equal(await redisClient(b.redisPort).get('saved'), '1');
    });

    it('with --on-primary-restart resume, a primary with its data saved comes back as the primary on its own', async () => {
      const resuming = await freshReplica({ raw: { onPrimaryRestart: 'resume' } });
      try {
        await api(resuming).post('/v1/promote').set(auth()).send({ force: true, epoch: 1 }).expect(200);
        await redisClient(resuming.redisPort).set('saved', '1');
        await redisClient(resuming.redisPort).save();
        await killRedisAndWait(resuming);
        await waitFor('it to resume as primary', async () => (await status(resuming)).role === 'primary', 20_000);
        const s = (await api(resuming).get('/v1/status').expect(200)).body;
        assert.equal(s.held, false);
        assert.equal(await redisClient(resuming.redisPort).get('saved'), '1');
        assert.equal(await redisClient(resuming.redisPort).set('after-resume', '1'), 'OK');
      } finally {
        await resuming.stop();
      }
    });

    it('a primary that comes back empty is held read-only and not ready; its replicas keep their data', async () => {
      // FLUSHALL with save points configured writes an empty RDB at once.
      await redisClient(a.redisPort).flushall();
      assert.equal(
        Number(/rdb_changes_since_last_save:(\d+)/.exec(await redisClient(a.redisPort).info('persistence'))![1]),
        0,
      );
      await redisClient(a.redisPort).set('unsaved', '1');
      await waitForSync(c, a);
      await killRedisAndWait(a);
      // give the manager every chance to (wrongly) resume it
      await waitFor(
        'a to be judged',
        async () => (await api(a).get('/readyz')).body.reasons.join().includes('held'),
        20_000,
      );
      const s = await status(a);
      assert.equal(s.role, 'replica');
      assert.equal(s.desiredRole, 'primary');
      assert.equal(s.primary, null);
      await assertReadOnly(a);
      // the replicas cannot sync from it (NOMASTERLINK): they keep what they had
      assert.equal(await redisClient(c.redisPort).get('unsaved'), '1');
      // Even confirmed with its epoch, an empty dataset needs force.
      const refused = await api(a).post('/v1/promote').set(auth()).send({ epoch: 10 }).expect(409);
      assert.match(refused.body.detail, /empty dataset/);
      // the operator moves the primary to c instead
      await api(c).post('/v1/promote').set(auth()).send({ epoch: 20 }).expect(200);
      await api(a)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: c.redisPort, epoch: 20 })
        .expect(200);
      await api(b)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: c.redisPort, epoch: 20 })
        .expect(200);
      await waitForSync(a, c, 30_000);
      await waitForSync(b, c, 30_000);
      assert.equal(await redisClient(a.redisPort).get('unsaved'), '1');
    });
  });

  describe('the manager process', () => {
    let primary: TestManager;
    before(async () => {
      primary = await freshReplica();
      await api(primary).post('/v1/promote').set(auth()).send({ force: true, epoch: 1 }).expect(200);
      await redisClient(primary.redisPort).set('k', 'v');
    });
    after(() => primary.stop());

    it('a killed manager (redis-server kept running, or killed too) comes back as a replica of the same primary', async () => {
      const paths = await testPaths();
      const args = {
        dataDir: paths.dataDir,
        redisPort: paths.redisPort,
        tokenFile: paths.tokenFile,
        extra: ['--initial-role', 'replica'],
      };
      try {
        let m = await spawnManager(args);
        assert.equal((await api(m).get('/v1/status').expect(200)).body.primary, null);
        await api(m)
          .post('/v1/demote')
          .set(auth())
          .send({ primaryHost: '127.0.0.1', primaryPort: primary.redisPort, epoch: 1 })
          .expect(200);
        const runId = (await api(m).get('/v1/status').expect(200)).body.redis.runId;

        m.child.kill('SIGKILL');
        await m.exited;
        m = await spawnManager(args);
        let s = (await api(m).get('/v1/status').expect(200)).body;
        assert.equal(s.redis.runId, runId, 'the running redis-server was adopted');
        assert.deepEqual([s.role, s.primary?.port, s.epoch], ['replica', primary.redisPort, 1]);

        m.child.kill('SIGKILL');
        await m.exited;
        killPid(await redisPid(paths.dataDir), 'SIGKILL');
        m = await spawnManager(args);
        await waitFor(
          'the replica to sync again',
          async () => {
            s = (await api(m).get('/v1/status')).body;
            return s.role === 'replica' && s.primary?.port === primary.redisPort && s.primary.linkStatus === 'up';
          },
          20_000,
        );
        assert.notEqual(s.redis.runId, runId);
        assert.equal(await redisClient(paths.redisPort).get('k'), 'v');
        m.child.kill('SIGKILL');
        await m.exited;
      } finally {
        await killRedisIn(paths.dataDir);
      }
    });

    it('a wiped data directory comes back as a fresh replica: no primary, read-only, not ready', async () => {
      const replica = await freshReplica();
      await api(replica)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: primary.redisPort })
        .expect(200);
      await waitForSync(replica, primary);
      const { dataDir, redisPort } = replica;
      await replica.stop();
      await rm(dataDir, { recursive: true, force: true });
      const again = await freshReplica({ dataDir, redisPort });
      try {
        const s = await status(again);
        assert.deepEqual([s.role, s.primary, s.epoch], ['replica', null, null]);
        assert.equal((await readState(dataDir))!.role, 'replica');
        await api(again).get('/readyz').expect(503);
        await assertReadOnly(again);
        assert.equal(await redisClient(redisPort).dbsize(), 0);
        // the primary is untouched
        assert.equal((await status(primary)).role, 'primary');
        assert.equal(await redisClient(primary.redisPort).get('k'), 'v');
      } finally {
        await again.stop();
      }
    });
  });

  describe('a single node (--initial-role primary)', () => {
    it('stopped cleanly while empty, comes back a writable primary; killed while empty, comes back held', async () => {
      const paths = await testPaths();
      // A single node with no operator: `resume`, as `make run` starts it.
      const args = {
        dataDir: paths.dataDir,
        redisPort: paths.redisPort,
        tokenFile: paths.tokenFile,
        extra: ['--on-primary-restart', 'resume'],
      };
      try {
        let m = await spawnManager(args);
        await api(m).get('/readyz').expect(200);
        m.child.kill('SIGTERM');
        assert.equal(await m.exited, 0);
        assert.equal((await readState(paths.dataDir))!.emptyAtCleanShutdown, true);

        // Stopped on purpose with nothing in it: empty is what it had, not data lost.
        m = await spawnManager(args);
        await waitFor('ready', async () => (await api(m).get('/readyz')).status === 200, 20_000);
        assert.equal(await redisClient(paths.redisPort).set('x', '1'), 'OK');
        await redisClient(paths.redisPort).del('x');
        assert.equal((await readState(paths.dataDir))!.emptyAtCleanShutdown, false, 'the excuse covers one start only');

        // Its redis-server killed while empty: nothing says empty is expected, so it is held.
        await killRedisAndWait(m);
        const ready = await waitFor(
          'held',
          async () => {
            const r = await api(m).get('/readyz');
            return r.status === 503 && r.body.reasons.some((x: string) => x.startsWith('held:')) ? r : undefined;
          },
          20_000,
        );
        assert.equal(ready.body.ready, false);
        await assert.rejects(redisClient(paths.redisPort).set('x', '1'), /READONLY/);
        m.child.kill('SIGTERM');
        assert.equal(await m.exited, 0);
      } finally {
        await killRedisIn(paths.dataDir);
      }
    });
  });
});
