// One structured JSON line per request, with its request id; secrets never appear.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, startTestManager } from '../helpers/manager.js';

describe('request logs', () => {
  it('writes one JSON line per request with the request id, operation, status and duration', async () => {
    const lines: string[] = [];
    const m = await startTestManager({ logLines: lines });
    try {
      await api(m).get('/v1/status').set('X-Request-Id', 'req-status-1').expect(200);
      await api(m)
        .post('/v1/demote')
        .set(auth())
        .set('X-Request-Id', 'req-demote-1')
        .send({ primaryPort: 0 })
        .expect(400);
      await api(m).get('/healthz').expect(200);
      const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
      const status = requests.filter((l) => l.requestId === 'req-status-1');
      assert.equal(status.length, 1);
      assert.equal(status[0].operation, 'getStatus');
      assert.equal(status[0].status, 200);
      assert.equal(typeof status[0].durationMs, 'number');
      const demote = requests.find((l) => l.requestId === 'req-demote-1');
      assert.deepEqual(
        { method: demote?.method, path: demote?.path, status: demote?.status },
        { method: 'POST', path: '/v1/demote', status: 400 },
      );
      const health = requests.find((l) => l.path === '/healthz');
      assert.match(String(health?.requestId), /^[0-9a-f-]{36}$/);
      assert.ok(!lines.join('\n').includes('Bearer'));
    } finally {
      await m.stop();
    }
  });
});
