// A real in-place upgrade: a manager running from a bundle is sent a second build through
// the client's update(); the process execs into it while redis-server keeps running and a
// client connected to Redis throughout never notices.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createClient, update } from '../../generated/client/src/index.js';
import { isAlive } from '../../src/domain/supervision/proc.js';
import { api } from '../helpers/api.js';
import { auth, TEST_TOKEN } from '../helpers/manager.js';
import { killPid, redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import {
  buildBundle,
  parentOf,
  sha256Of,
  startBundledManager,
  zombieChildrenOf,
  type BundledManager,
} from './bundles.js';

describe('in-place upgrade (PUT /v1/update, real bundles)', function () {
  this.timeout(90_000);
  let m: BundledManager;
  let newBundle: string;
  before(async () => {
    newBundle = await buildBundle('9.9.9');
    m = await startBundledManager('1.0.0-base');
  });
  after(() => m?.stop());

  it('execs the new build: new version and session, same PID, Redis untouched, its clients never disconnected', async () => {
    const before = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(before.manager.version, '1.0.0-base');
    assert.equal(before.manager.executableHash, await sha256Of(m.bundle));
    assert.equal(before.manager.upgrading, false);

    const redis = redisClient(m.redisPort);
    const events: string[] = [];
    for (const name of ['error', 'close', 'end', 'reconnecting']) redis.on(name, () => events.push(name));
    await redis.set('before-upgrade', 'kept');
    for (let i = 0; i < 100; i++) await redis.rpush('list', String(i));
    const connectionId = await redis.client('ID');

    // Writes keep going through the whole upgrade; each failure is recorded.
    let writes = 0;
    const writeErrors: string[] = [];
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await redis.incr('counter').then(
          () => writes++,
          (err: Error) => writeErrors.push(err.message),
        );
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const bytes = await readFile(newBundle);
    const outcome = await update({ baseUrl: m.url, token: TEST_TOKEN }, bytes, { timeoutMs: 60_000 });
    writing = false;
    await writer;

    assert.equal(outcome.version, '9.9.9');
    assert.equal(outcome.sha256, await sha256Of(newBundle));
    assert.equal(outcome.previousSessionId, before.manager.sessionId);
    assert.notEqual(outcome.sessionId, before.manager.sessionId);

    const after = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(after.manager.version, '9.9.9');
    assert.equal(after.manager.executableHash, outcome.sha256);
    assert.equal(after.manager.sessionId, outcome.sessionId);
    assert.equal(after.manager.upgrading, false);
    assert.equal(await sha256Of(m.bundle), outcome.sha256, 'the installed file is the new build');
    assert.equal(m.child.exitCode, null, 'the manager process never exited: it exec’d (same PID)');
    assert.match(m.output(), /exec of the new build/);
    assert.match(m.output(), /adopted running redis-server/);
    // An exec is not a restart: the primary was never held (the writes above never failed).
    assert.match(m.output(), /"start":"exec"/);
    assert.deepEqual([after.held, after.heldReason, after.role], [false, null, 'primary']);

    assert.equal(after.redis.pid, before.redis.pid, 'same redis-server process');
    assert.equal(after.redis.runId, before.redis.runId, 'same Redis run');
    assert.equal(after.redis.restarts, 0);
    assert.deepEqual(events, [], 'the Redis client saw no error, close or reconnect');
    assert.deepEqual(writeErrors, []);
    assert.ok(writes > 0);
    assert.equal(await redis.client('ID'), connectionId, 'still the same Redis connection');
    assert.equal(await redis.get('before-upgrade'), 'kept');
    assert.equal(await redis.llen('list'), 100);
    assert.equal(Number(await redis.get('counter')), writes);

    // redis-server is not the manager's child, and the manager left no zombie behind.
    assert.notEqual(await parentOf(after.redis.pid), m.child.pid);
    assert.deepEqual(await zombieChildrenOf(m.child.pid!), []);
  });

  it('after the upgrade, a killed redis-server is detected and restarted', async () => {
    const before = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(before.manager.version, '9.9.9');
    const oldPid: number = before.redis.pid;
    killPid(oldPid, 'SIGKILL');
    await waitFor('the old redis-server to be gone', () => !isAlive(oldPid));
    const after = await waitFor(
      'a new redis-server',
      async () => {
        const res = await api(m).get('/v1/status');
        return res.status === 200 && res.body.redis?.pid !== oldPid && res.body.redis.restarts === 1
          ? res.body
          : undefined;
      },
      20_000,
    );
    assert.ok(isAlive(after.redis.pid));
    assert.notEqual(after.redis.runId, before.redis.runId);
    assert.match(
      m.output(),
      new RegExp(`"pid":${oldPid},"ranForMs":\\d+,"restartInMs":\\d+,"msg":"redis-server exited"`),
    );
    assert.deepEqual(await zombieChildrenOf(m.child.pid!), []);
    await api(m).get('/healthz').expect(200);
  });

  it('upgrades again from the upgraded build (the exec chain holds)', async () => {
    const before = (await api(m).get('/v1/status').expect(200)).body;
    const third = await buildBundle('9.9.10');
    // This time through a client the caller made (the first upgrade passed client options).
    const client = createClient({ baseUrl: m.url, token: () => TEST_TOKEN });
    const outcome = await update(client, await readFile(third), { timeoutMs: 60_000 });
    assert.equal(outcome.version, '9.9.10');
    const after = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(after.manager.version, '9.9.10');
    assert.notEqual(after.manager.sessionId, before.manager.sessionId);
    assert.equal(after.redis.pid, before.redis.pid);
    assert.equal(after.redis.runId, before.redis.runId);
    assert.equal(m.child.exitCode, null);
  });
  it('a fence survives the exec: reported with its remaining time, and still in force in Redis', async () => {
    // Its redis-server was killed above and came back empty: held until confirmed (it has no
    // epoch, so any promote confirms it; force, as its dataset is empty).
    await api(m).post('/v1/promote').set(auth()).send({ force: true }).expect(200);
    const fence = await api(m).post('/v1/fence').set(auth()).send({ timeoutMs: 60_000 }).expect(200);
    const bytes = await readFile(await buildBundle('9.9.11'));
    await update({ baseUrl: m.url, token: TEST_TOKEN }, bytes, { timeoutMs: 60_000 });
    const s = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(s.manager.version, '9.9.11');
    assert.deepEqual([s.fenced, s.fencedUntil], [true, fence.body.until]);
    const left = Number(
      /^redis_instance_fence_remaining_seconds (\S+)$/m.exec((await api(m).get('/metrics').expect(200)).text)![1],
    );
    assert.ok(left > 30 && left <= 60, `remaining ${left}`);
    await api(m).delete('/v1/fence').set(auth()).expect(200);
    assert.equal(await redisClient(m.redisPort).set('after-unfence', '1'), 'OK');
  });
});
