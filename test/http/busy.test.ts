// A Redis busy running a script answers BUSY to everything: status and writes say 503
// (Redis cannot do it now), readiness says why, and liveness still sees the process.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, startTestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

describe('redis-server busy running a script', function () {
  this.timeout(30_000);

  it('answers 503 for status and writes, 503 busy for readiness, 200 for liveness', async () => {
    const m = await startTestManager();
    const admin = redisClient(m.redisPort);
    try {
      await admin.config('SET', 'busy-reply-threshold', '100');
      const looping = redisClient(m.redisPort);
      void looping.eval('while true do end', 0).catch(() => {});
      await waitFor('BUSY', async () => {
        const res = await api(m).get('/v1/status');
        return res.status === 503 ? res : undefined;
      });
      const status = await api(m).get('/v1/status').expect(503);
      assert.match(status.body.detail, /^Redis answered BUSY: /);
      const ready = await api(m).get('/readyz').expect(503);
      assert.deepEqual(ready.body.reasons, ['busy: Redis is busy running a script or function']);
      await api(m).get('/healthz').expect(200);
      const promote = await api(m).post('/v1/promote').set(auth()).send({});
      assert.equal(promote.status, 503, promote.text);
    } finally {
      // A client connected before the script: a new one would wait on its ready check (INFO).
      await admin.call('SCRIPT', 'KILL').catch(() => {});
      await m.stop();
    }
  });
});
