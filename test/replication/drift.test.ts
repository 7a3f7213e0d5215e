// Drift: a REPLICAOF sent to redis-server behind the manager's back is corrected to what the
// state file says within 5 s, logged and counted (redis_role_drift_corrections_total). A held
// primary is never made writable by it: only put back behind the placeholder.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { freshReplica, waitForSync } from './cluster.js';

async function driftCorrections(m: TestManager): Promise<number> {
  const text = (await api(m).get('/metrics').expect(200)).text;
  return Number(/^redis_role_drift_corrections_total (\d+)$/m.exec(text)![1]);
}

async function role(m: TestManager): Promise<string> {
  return String((await redisClient(m.redisPort).role())[0]);
}

describe('drift correction', function () {
  this.timeout(60_000);
  const lines: string[] = [];
  let a: TestManager, b: TestManager;
  before(async () => {
    [a, b] = await Promise.all([freshReplica({ logLines: lines }), freshReplica()]);
    await api(a).post('/v1/promote').set(auth()).send({ epoch: 1, force: true }).expect(200);
    await redisClient(a.redisPort).set('k', 'v');
    await api(b)
      .post('/v1/demote')
      .set(auth())
      .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort, epoch: 1 })
      .expect(200);
    await waitForSync(b, a);
  });
  after(() => Promise.all([a?.stop(), b?.stop()]));

  it('a primary pointed at another server behind the manager is a primary again within 5 s, logged and counted', async () => {
    const before = await driftCorrections(a);
    await redisClient(a.redisPort).replicaof('127.0.0.1', 1);
    assert.equal(await role(a), 'slave');
    await waitFor('a to be a primary again', async () => (await role(a)) === 'master', 5000);
    assert.equal(await driftCorrections(a), before + 1);
    assert.ok(lines.some((l) => l.includes('role drift')));
    assert.equal(await redisClient(a.redisPort).set('after-drift', '1'), 'OK');
    // The status never lied meanwhile, and it is back in line now.
    const s = (await api(a).get('/v1/status').expect(200)).body;
    assert.deepEqual([s.role, s.desiredRole], ['primary', 'primary']);
  });

  it('a replica made a primary behind the manager follows its primary again within 5 s', async () => {
    const before = await driftCorrections(b);
    await redisClient(b.redisPort).replicaof('NO', 'ONE');
    assert.equal(await role(b), 'master');
    await waitFor('b to follow a again', async () => (await role(b)) === 'slave', 5000);
    assert.equal(await driftCorrections(b), before + 1);
    await waitForSync(b, a);
    assert.equal(await redisClient(b.redisPort).get('after-drift'), '1');
  });

  it('a held primary made writable behind the manager is put back read-only, and stays held', async () => {
    const held = await freshReplica({ raw: { primaryLeaseSeconds: '1' } });
    try {
      await api(held).post('/v1/promote').set(auth()).send({ epoch: 1, force: true }).expect(200);
      await waitFor('the lease to expire', async () => (await api(held).get('/v1/status')).body.held === true, 5000);
      await redisClient(held.redisPort).replicaof('NO', 'ONE');
      await waitFor('it to be read-only again', async () => (await role(held)) === 'slave', 5000);
      await assert.rejects(redisClient(held.redisPort).set('x', '1'), /READONLY/);
      const s = (await api(held).get('/v1/status').expect(200)).body;
      assert.deepEqual([s.held, s.heldReason], [true, 'lease-expired']);
    } finally {
      await held.stop();
    }
  });
});
