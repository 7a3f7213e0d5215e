// End to end: switchover() from the packed client, under a steady write load, across three
// managers. No acknowledged write may be missing on the new primary; every replica follows it.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, TEST_TOKEN, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { startTrio, status, waitForSync } from './cluster.js';
import { installPackedClient, type PackedClient } from './packed-client.js';
import { WriteLoad } from './write-load.js';

describe('switchover through the packed client', function () {
  this.timeout(180_000);
  let pkg: PackedClient;
  let nodes: TestManager[];
  before(async () => {
    [pkg, nodes] = await Promise.all([installPackedClient(), startTrio(100)]);
  });
  after(() => Promise.all(nodes.map((m) => m.stop())));

  /** Runs a switchover that must fail, and returns its error. */
  async function failedSwitchover(options: Parameters<PackedClient['switchover']>[0]) {
    const err = await pkg.switchover(options).then(
      () => assert.fail('switchover should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof pkg.SwitchoverError, String(err));
    return err;
  }

  const node = (m: TestManager) => ({
    client: pkg.createClient({ baseUrl: m.url, token: TEST_TOKEN }),
    redis: { host: '127.0.0.1', port: m.redisPort },
    name: `redis:${m.redisPort}`,
  });

  it('moves the primary twice under write load: zero acknowledged writes lost, replicas follow', async () => {
    const [a, b, c] = nodes as [TestManager, TestManager, TestManager];
    let primaryPort = a.redisPort;
    const load = new WriteLoad(() => primaryPort);
    load.start();
    await waitFor('writes to flow', () => load.acknowledged.length > 200);

    const first = await pkg.switchover({ from: node(a), to: node(b), others: [node(c)], epoch: 5 });
    primaryPort = b.redisPort;
    assert.equal(first.committed, true);
    assert.equal(first.rolledBack, false);
    assert.deepEqual(
      first.steps.map((s) => s.step),
      ['fence', 'check-target', 'promote', 'demote-old-primary', 'repoint', 'unfence'],
    );
    // Every step was timed, and no step took longer than the whole switchover.
    assert.ok(
      first.steps.every((s) => s.ok && s.durationMs > 0 && s.durationMs <= first.totalMs),
      JSON.stringify(first),
    );
    assert.ok(first.fencedOffset! > 0);

    const count = load.acknowledged.length;
    await waitFor('writes to flow to the new primary', () => load.acknowledged.length > count + 200);
    const second = await pkg.switchover({ from: node(b), to: node(c), others: [node(a)], epoch: 6 });
    primaryPort = c.redisPort;
    assert.equal(second.committed, true);
    await sleep(200);
    await load.stop();

    assert.ok(load.acknowledged.length > 400);
    assert.deepEqual(await load.missingOn(c.redisPort), [], 'acknowledged writes missing on the new primary');
    for (const r of [a, b]) {
      await waitForSync(r, c);
      assert.deepEqual(await load.missingOn(r.redisPort), [], `acknowledged writes missing on replica ${r.redisPort}`);
      assert.equal((await status(r)).epoch, 6);
    }
    const s = await status(c);
    assert.deepEqual([s.role, s.epoch, s.fenced], ['primary', 6, false]);
    assert.equal((await status(b)).fenced, false);
    await api(c).get('/readyz').expect(200);
  });

  /**
   * Each failure case starts from the same topology, whatever the case before it left: c
   * primary, a and b following it, all three at a fresh epoch (returned).
   */
  let lastEpoch = 10;
  async function cPrimaryAtFreshEpoch(): Promise<number> {
    const [a, b, c] = nodes as [TestManager, TestManager, TestManager];
    const epoch = (lastEpoch += 10);
    await api(c).post('/v1/promote').set(auth()).send({ epoch }).expect(200);
    for (const r of [a, b]) {
      await api(r)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: c.redisPort, epoch })
        .expect(200);
    }
    for (const r of [a, b]) await waitForSync(r, c);
    return epoch;
  }

  it('rolls back when the promote fails: the old primary stays primary and is unfenced', async () => {
    const [a, b, c] = nodes as [TestManager, TestManager, TestManager];
    // a already holds this epoch for following c: promoting it at the same epoch conflicts.
    const epoch = await cPrimaryAtFreshEpoch();
    const err = await failedSwitchover({ from: node(c), to: node(a), others: [node(b)], epoch });
    const report = err.report;
    assert.equal(report.committed, false);
    assert.equal(report.rolledBack, true);
    const promote = report.steps.find((s) => s.step === 'promote')!;
    assert.equal(promote.ok, false);
    assert.match(promote.error!, /different topology|409/);
    assert.equal(report.steps.at(-1)!.step, 'rollback-unfence');
    const s = await status(c);
    assert.deepEqual([s.role, s.fenced], ['primary', false]);
    assert.equal((await status(a)).role, 'replica');
  });

  it('rolls back when the old primary refuses its demote: the target follows it again', async () => {
    const [a, b, c] = nodes as [TestManager, TestManager, TestManager];
    // c (primary) records the next epoch with its current topology, so a demote at it conflicts.
    const epoch = (await cPrimaryAtFreshEpoch()) + 1;
    await api(c).post('/v1/promote').set(auth()).send({ epoch }).expect(200);
    const err = await failedSwitchover({ from: node(c), to: node(a), others: [node(b)], epoch });
    const { report } = err;
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.ok]),
      [
        ['fence', true],
        ['check-target', true],
        ['promote', true],
        ['demote-old-primary', false],
        ['rollback-demote-target', true],
        ['rollback-unfence', true],
      ],
    );
    assert.deepEqual([report.committed, report.rolledBack, report.highestEpoch], [false, true, epoch + 1]);
    assert.deepEqual([(await status(c)).role, (await status(c)).fenced], ['primary', false]);
    // The rollback is fenced too: a records the rollback's epoch, so a late repeat of it (or of
    // the promote at the switchover's epoch) can never apply after a newer change.
    assert.equal((await status(a)).epoch, epoch + 1);
    await api(a).post('/v1/promote').set(auth()).send({ epoch }).expect(409);
    await waitForSync(a, c);
    await waitForSync(b, c);
    assert.equal(await redisClient(c.redisPort).set('after-rollback', '1'), 'OK');
  });

  it('a refused fence (stale epoch) changes nothing and lifts no pause', async () => {
    const [a, b, c] = nodes as [TestManager, TestManager, TestManager];
    const epoch = await cPrimaryAtFreshEpoch();
    const err = await failedSwitchover({ from: node(c), to: node(a), others: [node(b)], epoch: epoch - 1 });
    assert.deepEqual(
      err.report.steps.map((s) => [s.step, s.ok]),
      [['fence', false]],
    );
    assert.deepEqual([err.report.committed, err.report.rolledBack], [false, false]);
    assert.match(err.report.steps[0].error!, /older than the highest accepted epoch/);
    const s = await status(c);
    assert.deepEqual([s.role, s.fenced], ['primary', false]);
    assert.equal(await redisClient(c.redisPort).set('not-paused', '1'), 'OK');
  });
});
