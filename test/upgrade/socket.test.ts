// The HTTP listening socket outlives an upgrade: a client that connects in a tight loop
// through the exec is never refused (its requests wait in the backlog and are answered by
// the new build), and the new build serves on the very same socket. Killing the manager
// (its launcher) with SIGKILL still leaves Redis running for the next manager to adopt.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { update } from '../../generated/client/src/index.js';
import { isAlive } from '../../src/domain/supervision/proc.js';
import { api } from '../helpers/api.js';
import { spawnManager, TEST_TOKEN } from '../helpers/manager.js';
import { killPid, redisClient } from '../helpers/redis.js';
import { fdsHolding, listenerOn } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';
import { buildBundle, startBundledManager, type BundledManager } from './bundles.js';

/** One GET /healthz on a new connection: its status, or the error code that ended it. */
function probe(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode!));
      res.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** The process the launcher runs the manager in (its only child). */
async function managerUnder(launcher: number): Promise<number> {
  return waitFor('the manager under the launcher', async () => {
    const children = (await readFile(`/proc/${launcher}/task/${launcher}/children`, 'utf8')).trim().split(/\s+/);
    return children.length === 1 && children[0] !== '' ? Number(children[0]) : undefined;
  });
}

describe('the listening socket across an upgrade', function () {
  this.timeout(90_000);
  let m: BundledManager;
  let port: number;
  before(async () => {
    m = await startBundledManager('1.0.0-base');
    port = Number(new URL(m.url).port);
  });
  after(() => m?.stop());

  it('a client connecting in a tight loop through two upgrades is never refused, and every answer is 200', async () => {
    const results = new Map<number | string, number>();
    let looping = true;
    const loop = (async () => {
      while (looping) {
        const result = await probe(port);
        results.set(result, (results.get(result) ?? 0) + 1);
      }
    })();
    try {
      for (const version of ['9.9.9', '9.9.10']) {
        const outcome = await update(
          { baseUrl: m.url, token: TEST_TOKEN },
          await readFile(await buildBundle(version)),
          { timeoutMs: 60_000 },
        );
        assert.equal(outcome.version, version);
      }
    } finally {
      looping = false;
      await loop;
    }
    assert.ok((results.get(200) ?? 0) > 0);
    assert.deepEqual([...results.keys()], [200], `every connection answered 200: ${JSON.stringify([...results])}`);
  });

  it('the new build serves on the same socket: same port, same address, same socket, held through the exec', async () => {
    const before = listenerOn(port);
    assert.ok(before, 'a listener on the port');
    assert.equal(before.address, '127.0.0.1');
    const launcher = m.child.pid!;
    const managerBefore = await managerUnder(launcher);
    // The launcher keeps a copy; the manager serves on fd 3 and carries one on fd 0 through the exec.
    assert.ok(fdsHolding(launcher, before.inode).length > 0);
    assert.deepEqual(fdsHolding(managerBefore, before.inode), [0, 3]);
    const sessionBefore = (await api(m).get('/v1/status').expect(200)).body.manager.sessionId;

    await update({ baseUrl: m.url, token: TEST_TOKEN }, await readFile(await buildBundle('9.9.11')), {
      timeoutMs: 60_000,
    });

    const after = listenerOn(port);
    assert.deepEqual(after, before, 'the same listening socket (inode), address and port');
    assert.equal(await managerUnder(launcher), managerBefore, 'the same manager process (exec, same PID)');
    assert.deepEqual(fdsHolding(managerBefore, before.inode), [0, 3]);
    const status = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(status.manager.version, '9.9.11');
    assert.notEqual(status.manager.sessionId, sessionBefore);
  });
});

describe('kill -9 of a manager running under its launcher', function () {
  this.timeout(60_000);

  it('takes the manager down with it and leaves Redis running, adopted by the next manager', async () => {
    const first = await startBundledManager('1.0.0-base');
    try {
      const launcher = first.child.pid!;
      const manager = await managerUnder(launcher);
      const before = (await api(first).get('/v1/status').expect(200)).body;
      await redisClient(first.redisPort).set('survives', 'yes');
      killPid(launcher, 'SIGKILL');
      await first.exited;
      // The manager notices that its launcher is gone and exits; Redis is not its child.
      await waitFor('the manager to exit', () => !isAlive(manager), 5000);
      assert.ok(isAlive(before.redis.pid), 'redis-server still runs');
      const second = await spawnManager(
        { dataDir: first.dataDir, redisPort: first.redisPort, tokenFile: first.tokenFile },
        first.bundle,
      );
      const after = (await api(second.url).get('/v1/status').expect(200)).body;
      assert.equal(after.redis.pid, before.redis.pid);
      assert.equal(after.redis.runId, before.redis.runId);
      assert.equal(await redisClient(first.redisPort).get('survives'), 'yes');
      killPid(second.child.pid!, 'SIGTERM');
      assert.equal(await second.exited, 0);
    } finally {
      await first.stop();
    }
  });
});
