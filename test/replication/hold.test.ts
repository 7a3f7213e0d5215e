// Never two primaries: a primary that restarts (its pod, its manager, its redis-server)
// takes no write the operator did not give it. Managers run as their own processes, so they
// can be SIGKILLed; everything is real (redis-server, the state file, the HTTP API).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api } from '../helpers/api.js';
import { auth, spawnManager, testPaths, type ManagerProcess } from '../helpers/manager.js';
import { killPid, killRedisIn, redisClient, saveWhenIdle } from '../helpers/redis.js';
import { sleep, waitFor } from '../helpers/wait.js';

interface Node {
  paths: Awaited<ReturnType<typeof testPaths>>;
  extra: string[];
  m: ManagerProcess;
}

const nodes: Node[] = [];

async function startNode(extra: string[] = [], paths?: Node['paths']): Promise<Node> {
  const p = paths ?? (await testPaths());
  const m = await spawnManager({ dataDir: p.dataDir, redisPort: p.redisPort, tokenFile: p.tokenFile, extra });
  const node = { paths: p, extra, m };
  nodes.push(node);
  return node;
}

/** Starts the manager of `node` again on the same data directory (a pod that comes back). */
async function restart(node: Node): Promise<void> {
  node.m = await spawnManager({
    dataDir: node.paths.dataDir,
    redisPort: node.paths.redisPort,
    tokenFile: node.paths.tokenFile,
    extra: node.extra,
  });
}

async function killManager(node: Node): Promise<void> {
  node.m.child.kill('SIGKILL');
  await node.m.exited;
}

async function redisPid(node: Node): Promise<number> {
  return Number((await readFile(join(node.paths.dataDir, 'redis.pid'), 'utf8')).trim());
}

const status = async (node: Node) => (await api(node.m).get('/v1/status').expect(200)).body;

async function demote(replica: Node, primary: Node, epoch: number): Promise<void> {
  await api(replica.m)
    .post('/v1/demote')
    .set(auth())
    .send({ primaryHost: '127.0.0.1', primaryPort: primary.paths.redisPort, epoch })
    .expect(200);
}

async function waitForLink(replica: Node, primary: Node): Promise<void> {
  await waitFor(
    `${replica.paths.redisPort} to follow ${primary.paths.redisPort}`,
    async () => {
      const [r, p] = await Promise.all([status(replica), status(primary)]);
      return (
        r.role === 'replica' &&
        r.primary?.port === primary.paths.redisPort &&
        r.primary.linkStatus === 'up' &&
        r.replicationOffset >= p.replicationOffset
      );
    },
    30_000,
  );
}

/** A primary with `keys` keys and one replica in sync with it; the primary has epoch 1. */
async function pair(primaryExtra: string[] = [], keys = 100): Promise<[Node, Node]> {
  const a = await startNode(primaryExtra);
  const b = await startNode(['--initial-role', 'replica']);
  await api(a.m).post('/v1/promote').set(auth()).send({ epoch: 1 }).expect(200);
  const pipeline = redisClient(a.paths.redisPort).pipeline();
  for (let i = 0; i < keys; i++) pipeline.set(`seed:${i}`, String(i));
  await pipeline.exec();
  // On disk, as a pod that ran a while would have it (save points, or AOF).
  await redisClient(a.paths.redisPort).save();
  await demote(b, a, 1);
  await waitForLink(b, a);
  return [a, b];
}

/** A primary's pod dies: its manager and its redis-server are SIGKILLed. */
async function killPod(node: Node): Promise<void> {
  const pid = await redisPid(node);
  await killManager(node);
  killPid(pid, 'SIGKILL');
  await waitFor('redis-server to be gone', async () => {
    try {
      await redisClient(node.paths.redisPort).ping();
      return false;
    } catch {
      return true;
    }
  });
}

async function isHeld(node: Node): Promise<boolean> {
  const [ready, s, metrics] = await Promise.all([
    api(node.m).get('/readyz'),
    status(node),
    api(node.m).get('/metrics').expect(200),
  ]);
  return (
    ready.status === 503 &&
    ready.body.reasons.some((r: string) => r.startsWith('held:')) &&
    s.held === true &&
    s.heldReason === 'restart' &&
    /^redis_instance_held 1$/m.test(metrics.text)
  );
}

async function keysOf(port: number): Promise<string[]> {
  return (await redisClient(port).keys('*')).sort();
}

describe('a restarted primary is held until the operator confirms it (--on-primary-restart)', function () {
  this.timeout(180_000);
  after(async () => {
    for (const n of nodes.splice(0)) {
      if (n.m.child.exitCode === null) n.m.child.kill('SIGKILL');
      await killRedisIn(n.paths.dataDir);
    }
  });

  it('hold: a primary whose pod died comes back read-only and unready while the operator fails over; demoted, it follows the new primary and no acknowledged write is lost', async () => {
    const [a, b] = await pair();
    await killPod(a);
    // The operator fails over to b (a is gone, so force).
    await api(b.m).post('/v1/promote').set(auth()).send({ epoch: 5, force: true }).expect(200);
    await restart(a);

    // For 10 s, while clients write to b, a takes no write and is never ready.
    const acknowledged: string[] = [];
    const writer = redisClient(b.paths.redisPort);
    const until = Date.now() + 10_000;
    let checks = 0;
    while (Date.now() < until) {
      await assert.rejects(redisClient(a.paths.redisPort).set('lost?', '1'), /READONLY/);
      assert.ok(await isHeld(a), 'a is held');
      const key = `after-failover:${checks}`;
      assert.equal(await writer.set(key, '1'), 'OK');
      acknowledged.push(key);
      checks++;
      await sleep(250);
    }
    assert.ok(checks >= 10);
    const held = await status(a);
    assert.deepEqual([held.role, held.desiredRole, held.epoch], ['replica', 'primary', 1]);
    assert.equal((await redisClient(a.paths.redisPort).info('stats')).match(/sync_full:(\d+)/)![1], '0');

    await demote(a, b, 5);
    await waitForLink(a, b);
    const s = await status(a);
    assert.deepEqual([s.held, s.role, s.epoch], [false, 'replica', 5]);
    const onB = await keysOf(b.paths.redisPort);
    for (const key of acknowledged) assert.ok(onB.includes(key), `${key} on b`);
    assert.equal(onB.filter((k) => k.startsWith('seed:')).length, 100);
    assert.deepEqual(await keysOf(a.paths.redisPort), onB, 'a holds exactly what b holds');
  });

  it('resume: today’s behaviour — the restarted primary takes writes on its own, beside the new one', async () => {
    const [a, b] = await pair(['--on-primary-restart', 'resume']);
    await killPod(a);
    await api(b.m).post('/v1/promote').set(auth()).send({ epoch: 5, force: true }).expect(200);
    await restart(a);
    await waitFor('a to resume', async () => (await api(a.m).get('/readyz')).status === 200, 20_000);
    assert.equal(await redisClient(a.paths.redisPort).set('written-on-a', '1'), 'OK');
    assert.equal((await status(a)).held, false);
    // Two writable primaries: the failure the hold exists for.
    assert.equal((await redisClient(b.paths.redisPort).role())[0], 'master');
    assert.equal((await redisClient(a.paths.redisPort).role())[0], 'master');
  });

  it('a manager crash with redis-server left running holds the adopted primary (same Redis run), until a promote with its epoch', async () => {
    const [a] = await pair([], 10);
    const runId = (await status(a)).redis.runId;
    assert.equal(await redisClient(a.paths.redisPort).set('before', '1'), 'OK');
    await killManager(a);
    await restart(a);
    await waitFor('a to be held', () => isHeld(a), 10_000);
    const s = await status(a);
    assert.equal(s.redis.runId, runId, 'the running redis-server was adopted, not restarted');
    await assert.rejects(redisClient(a.paths.redisPort).set('during-hold', '1'), /READONLY/);
    assert.match(a.m.output(), /"start":"restart"/);

    const confirmed = await api(a.m).post('/v1/promote').set(auth()).send({ epoch: 1 }).expect(200);
    assert.equal(confirmed.body.role, 'primary');
    assert.equal(await redisClient(a.paths.redisPort).set('after-confirm', '1'), 'OK');
    assert.equal(await redisClient(a.paths.redisPort).get('before'), '1');
    const after = await status(a);
    assert.deepEqual([after.held, after.redis.runId], [false, runId]);
    await api(a.m).get('/readyz').expect(200);
  });

  it('a primary restarted with an older snapshot (SHUTDOWN NOSAVE) never serves a sync: its replica keeps the newer writes', async () => {
    const [a, b] = await pair([], 10);
    const primary = redisClient(a.paths.redisPort);
    await saveWhenIdle(primary); // the snapshot a will come back with
    await primary.set('only-on-the-replica', '1');
    assert.equal(await primary.wait(1, 5000), 1, 'b acknowledged the write');
    const pid = await redisPid(a);
    await primary.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    // a's manager restarts redis-server with the older dump.rdb: held.
    await waitFor('a new redis-server', async () => (await redisPid(a)) !== pid && (await isHeld(a)), 20_000);
    assert.equal(await redisClient(a.paths.redisPort).get('only-on-the-replica'), null, 'a came back without it');
    // b keeps asking a for a sync; a refuses (NOMASTERLINK) for as long as it is held.
    await sleep(3000);
    assert.equal(await redisClient(b.paths.redisPort).get('only-on-the-replica'), '1');
    assert.equal((await redisClient(a.paths.redisPort).info('stats')).match(/sync_full:(\d+)/)![1], '0');
    assert.equal((await status(b)).primary.linkStatus, 'down');

    // The operator keeps the newer data: b becomes primary, a follows it and gets the key.
    await api(b.m).post('/v1/promote').set(auth()).send({ epoch: 2 }).expect(200);
    await demote(a, b, 2);
    await waitForLink(a, b);
    assert.equal(await redisClient(a.paths.redisPort).get('only-on-the-replica'), '1');
  });

  it('a fence survives a manager crash: reported with its remaining time, lifted by unfence', async () => {
    const a = await startNode(['--on-primary-restart', 'resume']);
    const fence = await api(a.m).post('/v1/fence').set(auth()).send({ timeoutMs: 60_000 }).expect(200);
    await killManager(a);
    await restart(a);
    const s = await status(a);
    assert.equal(s.fenced, true);
    assert.equal(s.fencedUntil, fence.body.until);
    const ready = await api(a.m).get('/readyz').expect(503);
    assert.match(ready.body.reasons.join(), /^fenced: /);
    const metrics = (await api(a.m).get('/metrics').expect(200)).text;
    assert.match(metrics, /^redis_instance_fenced 1$/m);
    const left = Number(/^redis_instance_fence_remaining_seconds (\S+)$/m.exec(metrics)![1]);
    assert.ok(left > 30 && left <= 60, `remaining ${left}`);
    // Redis still blocks writes: a write waits instead of completing.
    const pending = redisClient(a.paths.redisPort).set('paused', '1');
    const first = await Promise.race([pending.then(() => 'written'), sleep(300).then(() => 'waiting')]);
    assert.equal(first, 'waiting');
    await api(a.m).delete('/v1/fence').set(auth()).expect(200);
    assert.equal(await pending, 'OK');
    const lifted = await status(a);
    assert.deepEqual([lifted.fenced, lifted.fencedUntil], [false, null]);
  });
});
