// Requests that arrive while the manager starts are held and answered once it serves, or
// answered 503 if start-up fails; none is refused.
import assert from 'node:assert/strict';
import { listenEarly } from '../../src/http/early-server.js';

describe('early server', () => {
  it('holds requests made before the listener is attached, then answers them in order', async () => {
    const early = await listenEarly({ host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${early.port}`;
      // /a arrives (and is held) before /b does.
      const pending = [fetch(`${url}/a`)];
      await new Promise((r) => setTimeout(r, 50));
      pending.push(fetch(`${url}/b`));
      await new Promise((r) => setTimeout(r, 50));
      const seen: string[] = [];
      early.attach((req, res) => {
        seen.push(req.url!);
        res.end(`served ${req.url}`);
      });
      const bodies = await Promise.all(pending.map(async (p) => (await p).text()));
      assert.deepEqual(bodies, ['served /a', 'served /b']);
      assert.deepEqual(seen, ['/a', '/b'], 'served in the order they arrived');
      assert.equal(await (await fetch(`${url}/c`)).text(), 'served /c');
    } finally {
      early.server.close();
    }
  });

  it('answers held requests with a 503 problem when start-up fails', async () => {
    const early = await listenEarly({ host: '127.0.0.1', port: 0 });
    const pending = fetch(`http://127.0.0.1:${early.port}/healthz`);
    await new Promise((r) => setTimeout(r, 50));
    early.fail();
    const res = await pending;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await res.json()) as { detail: string }).detail, 'the manager failed to start');
  });

  it('refuses to start when the port is taken', async () => {
    const first = await listenEarly({ host: '127.0.0.1', port: 0 });
    try {
      await assert.rejects(listenEarly({ host: '127.0.0.1', port: first.port }), /EADDRINUSE/);
    } finally {
      first.server.close();
    }
  });
});
