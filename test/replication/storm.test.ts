// A storm of about 200 promote/demote calls on three nodes: topology changes with random
// epochs, racing each other with random delays, each sent the safe way (demote the others,
// then promote the new primary if they all accepted). ROLE of every node is sampled every
// 10 ms throughout: at no moment are there two writable primaries. No 5xx; each node ends in
// the topology of the highest epoch it accepted, in Redis and in its state file.
import assert from 'node:assert/strict';
import { readState } from '../../src/domain/state/state-file.js';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { seededRandom } from '../helpers/random.js';
import { redisClient } from '../helpers/redis.js';
import { sleep } from '../helpers/wait.js';
import { startTrio, status } from './cluster.js';

type Accepted = { epoch: number; role: 'primary' } | { epoch: number; role: 'replica'; primaryPort: number };

describe('replication storm', function () {
  this.timeout(120_000);
  let nodes: TestManager[];
  before(async () => {
    nodes = await startTrio();
    const [a, ...replicas] = nodes as [TestManager, TestManager, TestManager];
    await api(a).post('/v1/promote').set(auth()).send({ epoch: 1 }).expect(200);
    for (const r of replicas) {
      await api(r)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort, epoch: 1 })
        .expect(200);
    }
  });
  after(() => Promise.all(nodes.map((m) => m.stop())));

  it('racing topology changes (~200 calls): never two writable primaries, no 5xx, each node ends at its highest accepted epoch', async () => {
    const random = seededRandom('storm');
    const accepted = new Map<TestManager, Accepted[]>(nodes.map((n) => [n, []]));
    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);

    // ROLE of every node, every 10 ms.
    const roles = nodes.map((n) => redisClient(n.redisPort));
    let sampling = true;
    let samples = 0;
    const twoPrimaries: string[] = [];
    const sampler = (async () => {
      while (sampling) {
        const seen = await Promise.all(roles.map((c) => c.role().then((r) => String(r[0]))));
        samples++;
        if (seen.filter((r) => r === 'master').length > 1) twoPrimaries.push(seen.join(','));
        await sleep(10);
      }
    })();

    const changes = Array.from({ length: 67 }, () => ({
      epoch: 2 + random.int(1000),
      primary: random.pick(nodes),
      delayMs: random.int(4000),
    }));
    await Promise.all(
      changes.map(async ({ epoch, primary, delayMs }) => {
        await sleep(delayMs);
        const others = nodes.filter((n) => n !== primary);
        const demoted = await Promise.all(
          others.map(async (node) => {
            const res = await api(node)
              .post('/v1/demote')
              .set(auth())
              .send({ primaryHost: '127.0.0.1', primaryPort: primary.redisPort, epoch });
            count(res.status);
            if (res.status !== 200) assert.equal(res.status, 409, JSON.stringify(res.body));
            else accepted.get(node)!.push({ epoch, role: 'replica', primaryPort: primary.redisPort });
            return res.status === 200;
          }),
        );
        // The safe order: promote only once every other node follows the new primary.
        if (!demoted.every(Boolean)) return;
        const res = await api(primary).post('/v1/promote').set(auth()).send({ epoch, force: true });
        count(res.status);
        if (res.status !== 200) assert.equal(res.status, 409, JSON.stringify(res.body));
        else accepted.get(primary)!.push({ epoch, role: 'primary' });
      }),
    );
    sampling = false;
    await sampler;

    const calls = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.ok(calls >= 134, `${calls} calls`);
    assert.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(409) ?? 0) > 0, JSON.stringify([...statuses]));
    assert.ok(samples >= 20, `${samples} samples of ROLE`);
    assert.deepEqual(twoPrimaries, [], 'moments with two writable primaries');

    for (const node of nodes) {
      const list = accepted.get(node)!;
      // Accepted epochs never went down, in the order they were accepted.
      for (let i = 1; i < list.length; i++) assert.ok(list[i].epoch >= list[i - 1].epoch, JSON.stringify(list));
      const last = list[list.length - 1];
      if (last === undefined) continue;
      const [s, state] = await Promise.all([status(node), readState(node.dataDir)]);
      assert.equal(state!.epoch, last.epoch);
      assert.equal(s.epoch, last.epoch);
      if (last.role === 'primary') {
        assert.deepEqual([s.role, state!.role, state!.primary], ['primary', 'primary', null]);
      } else {
        assert.deepEqual([s.role, s.primary?.port], ['replica', last.primaryPort]);
        assert.deepEqual([state!.role, state!.primary], ['replica', { host: '127.0.0.1', port: last.primaryPort }]);
      }
    }
  });
});
