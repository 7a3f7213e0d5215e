// One structured JSON line per request, with its request id; secrets never appear. Routine
// reads that succeed (probes, scrapes, status polls) are logged at debug, everything else at
// info or above.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, startTestManager } from '../helpers/manager.js';

type Line = Record<string, unknown>;

function requestLines(lines: string[]): Line[] {
  return lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request');
}

describe('request logs', () => {
  it('at debug: one JSON line per request with the request id, operation, status and duration', async () => {
    const lines: string[] = [];
    const m = await startTestManager({ logLines: lines, raw: { logLevel: 'debug' } });
    try {
      await api(m).get('/v1/status').set('X-Request-Id', 'req-status-1').expect(200);
      await api(m)
        .post('/v1/demote')
        .set(auth())
        .set('X-Request-Id', 'req-demote-1')
        .send({ primaryPort: 0 })
        .expect(400);
      await api(m).get('/healthz').expect(200);
      const requests = requestLines(lines);
      const status = requests.filter((l) => l.requestId === 'req-status-1');
      assert.equal(status.length, 1);
      assert.equal(status[0].operation, 'getStatus');
      assert.equal(status[0].status, 200);
      assert.equal(status[0].level, 'debug');
      assert.equal(typeof status[0].durationMs, 'number');
      const demote = requests.find((l) => l.requestId === 'req-demote-1');
      assert.deepEqual(
        { method: demote?.method, path: demote?.path, status: demote?.status, level: demote?.level },
        { method: 'POST', path: '/v1/demote', status: 400, level: 'info' },
      );
      const health = requests.find((l) => l.path === '/healthz');
      assert.match(String(health?.requestId), /^[0-9a-f-]{36}$/);
      assert.ok(!lines.join('\n').includes('Bearer'));
    } finally {
      await m.stop();
    }
  });

  it('at info: successful probes, scrapes and status reads are quiet; writes, refusals and failed reads are logged', async () => {
    const lines: string[] = [];
    // A replica that follows no primary: alive, scraped and polled, but not ready.
    const m = await startTestManager({ logLines: lines, raw: { initialRole: 'replica' } });
    try {
      await api(m).get('/healthz').set('X-Request-Id', 'quiet-1').expect(200);
      await api(m).head('/healthz').set('X-Request-Id', 'quiet-2').expect(200);
      await api(m).get('/metrics').set('X-Request-Id', 'quiet-3').expect(200);
      await api(m).get('/v1/status').set('X-Request-Id', 'quiet-4').expect(200);
      await api(m).get('/readyz').set('X-Request-Id', 'loud-1').expect(503);
      await api(m).post('/v1/demote').set('X-Request-Id', 'loud-2').send({ primaryPort: 0 }).expect(401);
      await api(m).get('/v1/nowhere').set('X-Request-Id', 'loud-3').expect(404);
      const logged = new Set(requestLines(lines).map((l) => l.requestId));
      assert.deepEqual(
        ['quiet-1', 'quiet-2', 'quiet-3', 'quiet-4', 'loud-1', 'loud-2', 'loud-3'].filter((id) => logged.has(id)),
        ['loud-1', 'loud-2', 'loud-3'],
      );
    } finally {
      await m.stop();
    }
  });
});
