import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';

describe('read path on a primary', () => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager();
  });
  after(() => m.stop());

  it('GET /healthz is 200 with the redis-server pid', async () => {
    const res = await api(m).get('/healthz').expect(200);
    assert.equal(res.body.alive, true);
    assert.equal(res.body.pid, m.instance.supervisor!.pid);
  });

  it('GET /readyz is 200 with no reasons', async () => {
    const res = await api(m).get('/readyz').expect(200);
    assert.deepEqual(res.body, { ready: true, reasons: [] });
  });

  it('GET /v1/status reports the primary as INFO says it now', async () => {
    const redis = redisClient(m.redisPort);
    await redis.set('k', 'v');
    const res = await api(m).get('/v1/status').expect(200);
    const info = await redis.info('replication');
    const offset = Number(/master_repl_offset:(\d+)/.exec(info)![1]);
    assert.equal(res.body.role, 'primary');
    assert.equal(res.body.primary, null);
    assert.equal(res.body.lagSeconds, null);
    assert.equal(res.body.connectedReplicas, 0);
    assert.ok(res.body.replicationOffset <= offset);
    assert.equal(res.body.redis.pid, m.instance.supervisor!.pid);
    assert.match(res.body.redis.runId, /^[0-9a-f]{40}$/);
    assert.equal(res.body.redis.loading, false);
    assert.equal(res.body.manager.sessionId, m.instance.identity.sessionId);
    assert.equal(res.body.manager.upgrading, false);
  });
});
