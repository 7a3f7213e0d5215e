// Promote, demote, fence and unfence over HTTP against real redis-server processes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readState } from '../../src/domain/state/state-file.js';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { assertReadOnly, freshReplica, startTrio, status, waitForSync } from './cluster.js';

describe('replication API', function () {
  this.timeout(60_000);

  describe('a fresh replica (--initial-role replica)', () => {
    let m: TestManager;
    before(async () => {
      m = await freshReplica();
    });
    after(() => m.stop());

    it('is read-only, follows no primary and is not ready', async () => {
      const s = await status(m);
      assert.equal(s.role, 'replica');
      assert.equal(s.primary, null);
      assert.equal(s.desiredRole, 'replica');
      assert.equal(s.fenced, false);
      assert.equal(s.lastRoleChangeAt, null);
      const ready = await api(m).get('/readyz').expect(503);
      assert.match(ready.body.reasons.join(), /no-primary/);
      await assertReadOnly(m);
      assert.match(await readFile(join(m.dataDir, 'redis.conf'), 'utf8'), /^replicaof 127\.0\.0\.1 0$/m);
    });

    it('refuses to be promoted with an empty dataset unless forced; nothing changes', async () => {
      const res = await api(m).post('/v1/promote').set(auth()).send({ epoch: 1 }).expect(409);
      assert.match(res.body.detail, /empty dataset/);
      assert.equal((await status(m)).role, 'replica');
      assert.equal((await readState(m.dataDir))!.epoch, null);
      await assertReadOnly(m);
    });

    it('a plain promote without a body is refused the same way', async () => {
      await api(m).post('/v1/promote').set(auth()).expect(409);
    });

    it('is promoted with force, becomes writable and ready; a repeat changes nothing', async () => {
      const res = await api(m).post('/v1/promote').set(auth()).send({ epoch: 1, force: true }).expect(200);
      assert.equal(res.body.role, 'primary');
      assert.equal(res.body.changed, true);
      assert.equal(res.body.epoch, 1);
      assert.equal(await redisClient(m.redisPort).set('k', 'v'), 'OK');
      await api(m).get('/readyz').expect(200);
      const s = await status(m);
      assert.equal(s.role, 'primary');
      assert.equal(s.epoch, 1);
      assert.ok(s.lastRoleChangeAt);
      const state = (await readState(m.dataDir))!;
      assert.deepEqual([state.role, state.primary, state.epoch], ['primary', null, 1]);
      const again = await api(m).post('/v1/promote').set(auth()).send({ epoch: 1 }).expect(200);
      assert.equal(again.body.changed, false);
      assert.equal(again.body.changedAt, res.body.changedAt);
      const plain = await api(m).post('/v1/promote').set(auth()).send({}).expect(200);
      assert.equal(plain.body.changed, false);
    });
  });

  describe('a primary and two replicas', () => {
    let a: TestManager, b: TestManager, c: TestManager;
    before(async () => {
      [a, b, c] = (await startTrio()) as [TestManager, TestManager, TestManager];
    });
    after(async () => {
      await Promise.all([a, b, c].map((m) => m.stop()));
    });

    it('replicas follow the primary, are read-only and ready', async () => {
      for (const r of [b, c]) {
        const s = await status(r);
        assert.equal(s.role, 'replica');
        assert.deepEqual([s.primary?.host, s.primary?.port, s.primary?.linkStatus], ['127.0.0.1', a.redisPort, 'up']);
        assert.equal(await redisClient(r.redisPort).get('seed:3'), '3');
        await assertReadOnly(r);
        await api(r).get('/readyz').expect(200);
        const state = (await readState(r.dataDir))!;
        assert.deepEqual([state.role, state.primary], ['replica', { host: '127.0.0.1', port: a.redisPort }]);
      }
    });

    it('a repeated demote to the same primary changes nothing', async () => {
      const res = await api(b)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort })
        .expect(200);
      assert.equal(res.body.changed, false);
      assert.equal(res.body.role, 'replica');
      assert.equal(res.body.primary.port, a.redisPort);
    });

    it('rejects invalid hosts, ports, bodies and demotes to itself with 400; nothing changes', async () => {
      const before = await readState(b.dataDir);
      const bad: [unknown, RegExp][] = [
        [{ primaryHost: 'not a host', primaryPort: a.redisPort }, /hostname or an IP/],
        [{ primaryHost: 'under_score', primaryPort: a.redisPort }, /hostname or an IP/],
        [{ primaryHost: '10.0.0.300', primaryPort: a.redisPort }, /hostname or an IP/],
        [{ primaryHost: '127.0.0.1', primaryPort: 0 }, /primaryPort/],
        [{ primaryHost: '127.0.0.1', primaryPort: 65536 }, /primaryPort/],
        [{ primaryHost: '127.0.0.1', primaryPort: '6379' }, /primaryPort/],
        [{ primaryHost: '' }, /primaryHost/],
        [{ primaryPort: a.redisPort }, /primaryHost/],
        [{ primaryHost: '127.0.0.1', primaryPort: b.redisPort }, /itself/],
        [{ primaryHost: 'localhost', primaryPort: b.redisPort }, /itself/],
        [{ primaryHost: '127.0.0.1', primaryPort: a.redisPort, epoch: -1 }, /epoch/],
        [{ primaryHost: '127.0.0.1', primaryPort: a.redisPort, extra: true }, /extra/],
      ];
      for (const [body, detail] of bad) {
        const res = await api(b)
          .post('/v1/demote')
          .set(auth())
          .send(body as object)
          .expect(400);
        assert.match(res.body.detail, detail, JSON.stringify(body));
      }
      for (const body of [{ minOffset: -1 }, { timeoutSeconds: 0 }, { force: 'yes' }, { epoch: 1.5 }, { other: 1 }]) {
        await api(b).post('/v1/promote').set(auth()).send(body).expect(400);
      }
      await api(b).post('/v1/fence').set(auth()).send({}).expect(400);
      await api(b).post('/v1/demote').set(auth()).set('Content-Type', 'text/plain').send('primaryHost=x').expect(415);
      await api(b).post('/v1/demote').send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort }).expect(401);
      await api(b).post('/v1/promote').set(auth('wrong-token')).expect(401);
      await api(b).delete('/v1/fence').expect(401);
      assert.deepEqual(await readState(b.dataDir), before);
      assert.equal((await status(b)).primary?.port, a.redisPort);
    });

    it('promote with a minOffset that is not reached in time is 409 and changes nothing', async () => {
      const offset = (await status(a)).replicationOffset;
      const res = await api(b)
        .post('/v1/promote')
        .set(auth())
        .send({ minOffset: offset + 1_000_000, timeoutSeconds: 0.3 })
        .expect(409);
      assert.match(res.body.detail, /did not reach minOffset/);
      const s = await status(b);
      assert.equal(s.role, 'replica');
      assert.equal((await readState(b.dataDir))!.role, 'replica');
    });

    it('a promote waiting for minOffset gives up when its caller goes away: nothing changes, the lock is free', async () => {
      const offset = (await status(a)).replicationOffset;
      const caller = new AbortController();
      const waiting = fetch(`${c.url}/v1/promote`, {
        method: 'POST',
        headers: { ...auth(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ minOffset: offset + 1_000_000, timeoutSeconds: 30 }),
        signal: caller.signal,
      }).catch((err: unknown) => err);
      await waitFor('the promote to be waiting', async () => {
        const res = await api(c)
          .post('/v1/demote')
          .set(auth())
          .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort });
        return res.status === 409 && /in progress/.test(res.body.detail);
      });
      caller.abort();
      await waiting;
      // Well before the 30 s it asked for, the promote has let go and changed nothing.
      await waitFor(
        'the lock to be free',
        async () => {
          const res = await api(c)
            .post('/v1/demote')
            .set(auth())
            .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort });
          return res.status === 200 || undefined;
        },
        10_000,
      );
      assert.equal((await status(c)).role, 'replica');
      assert.equal((await readState(c.dataDir))!.role, 'replica');
    });

    it('a second change while one is in progress is 409, never interleaved', async () => {
      const offset = (await status(a)).replicationOffset;
      // .then() sends the request now (supertest is lazy).
      const waiting = api(c)
        .post('/v1/promote')
        .set(auth())
        .send({ minOffset: offset + 1_000_000, timeoutSeconds: 2 })
        .then((r) => r);
      await waitFor('the first promote to be waiting', async () => {
        const res = await api(c)
          .post('/v1/demote')
          .set(auth())
          .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort });
        return res.status === 409 && /in progress/.test(res.body.detail);
      });
      const first = await waiting;
      assert.equal(first.status, 409);
      assert.match(first.body.detail, /minOffset/);
      assert.equal((await status(c)).role, 'replica');
    });

    it('fence pauses writes on the primary and answers the offset; unfence lifts it', async () => {
      await api(b).post('/v1/fence').set(auth()).send({ timeoutMs: 5000 }).expect(409);
      const writer = redisClient(a.redisPort);
      await writer.set('before-fence', '1');
      const fence = await api(a).post('/v1/fence').set(auth()).send({ timeoutMs: 10_000 }).expect(200);
      assert.equal(fence.body.fenced, true);
      assert.equal(fence.body.replicationOffset, (await status(a)).replicationOffset);
      assert.equal((await status(a)).fenced, true);
      let acknowledged = false;
      const pending = writer.set('during-fence', '1').then(() => (acknowledged = true));
      await waitFor('the write to be held by the pause', async () =>
        /flags=b [^\n]*cmd=set /.test(String(await redisClient(a.redisPort).client('LIST'))),
      );
      assert.equal(acknowledged, false);
      assert.equal((await status(a)).replicationOffset, fence.body.replicationOffset);
      const lifted = await api(a).delete('/v1/fence').set(auth()).expect(200);
      assert.equal(lifted.body.fenced, false);
      await pending;
      assert.equal(acknowledged, true);
      assert.equal((await status(a)).fenced, false);
    });

    it('promote with a reached minOffset, then demote back: a round trip', async () => {
      await redisClient(a.redisPort).set('round-trip', 'x');
      const offset = (await status(a)).replicationOffset;
      const promoted = await api(b)
        .post('/v1/promote')
        .set(auth())
        .send({ epoch: 10, minOffset: offset, timeoutSeconds: 5 })
        .expect(200);
      assert.equal(promoted.body.changed, true);
      assert.ok(promoted.body.replicationOffset >= offset);
      assert.equal(await redisClient(b.redisPort).get('round-trip'), 'x');
      // back: b follows a again, a stays primary
      const demoted = await api(b)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort, epoch: 11 })
        .expect(200);
      assert.equal(demoted.body.changed, true);
      assert.equal(demoted.body.epoch, 11);
      await waitForSync(b, a);
    });

    it('stale and conflicting epochs are 409 and change nothing; equal repeats are 200', async () => {
      const before = await readState(b.dataDir);
      const stale = await api(b).post('/v1/promote').set(auth()).send({ epoch: 3, force: true }).expect(409);
      assert.match(stale.body.detail, /older than the highest accepted epoch 11/);
      const conflicting = await api(b).post('/v1/promote').set(auth()).send({ epoch: 11, force: true }).expect(409);
      assert.match(conflicting.body.detail, /different topology/);
      const otherPrimary = await api(b)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: c.redisPort, epoch: 11 })
        .expect(409);
      assert.match(otherPrimary.body.detail, /different topology/);
      await api(b).post('/v1/fence').set(auth()).send({ epoch: 10, timeoutMs: 100 }).expect(409);
      assert.deepEqual(await readState(b.dataDir), before);
      assert.equal((await status(b)).role, 'replica');
      const repeat = await api(b)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort, epoch: 11 })
        .expect(200);
      assert.equal(repeat.body.changed, false);
      assert.equal((await status(b)).epoch, 11);
    });

    it('a replica that never completed a sync is not promoted unless forced', async () => {
      // c follows a primary that does not exist: its link never comes up in this run.
      await api(c).post('/v1/demote').set(auth()).send({ primaryHost: '127.0.0.1', primaryPort: 1 }).expect(200);
      await waitFor('c to follow the missing primary', async () => (await status(c)).primary?.port === 1);
      // The link was up before (to a): never-synced is about this redis-server run, so restart it.
      const pid = Number((await status(c)).primary ? (await api(c).get('/healthz').expect(200)).body.pid : 0);
      process.kill(pid, 'SIGKILL');
      await waitFor(
        'c to come back',
        async () => {
          const h = await api(c).get('/healthz');
          return h.status === 200 && h.body.pid !== pid;
        },
        20_000,
      );
      await waitFor('c to answer status', async () => (await api(c).get('/v1/status')).status === 200);
      const res = await api(c).post('/v1/promote').set(auth()).send({}).expect(409);
      assert.match(res.body.detail, /never completed a sync/);
      assert.equal((await status(c)).role, 'replica');
      await api(c)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort })
        .expect(200);
      await waitForSync(c, a);
    });

    it('writes are refused with 503 while the manager shuts down', async () => {
      b.instance.shuttingDown = true;
      try {
        await api(b).post('/v1/promote').set(auth()).send({}).expect(503);
        await api(b)
          .post('/v1/demote')
          .set(auth())
          .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort })
          .expect(503);
        await api(b).post('/v1/fence').set(auth()).send({ timeoutMs: 100 }).expect(503);
        await api(b).delete('/v1/fence').set(auth()).expect(503);
      } finally {
        b.instance.shuttingDown = false;
      }
    });
  });
});
