// 200 concurrent promote/demote calls with random epochs on one node: no 5xx, and the node
// ends in the topology of the highest epoch it accepted, in Redis and in its state file.
import assert from 'node:assert/strict';
import { readState } from '../../src/domain/state/state-file.js';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { sleep } from '../helpers/wait.js';
import { startTrio, status } from './cluster.js';

describe('replication storm', function () {
  this.timeout(120_000);
  let nodes: TestManager[];
  before(async () => {
    nodes = await startTrio();
  });
  after(() => Promise.all(nodes.map((m) => m.stop())));

  it('200 concurrent mixed calls: no 5xx, final topology = highest accepted epoch, state agrees', async () => {
    const [a, b, target] = nodes as [TestManager, TestManager, TestManager];
    type Call = { kind: 'promote' } | { kind: 'demote'; port: number };
    const accepted: { epoch: number; call: Call; changed: boolean }[] = [];
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const epoch = Math.floor(Math.random() * 1000);
        const call: Call =
          i % 3 === 0 ? { kind: 'promote' } : { kind: 'demote', port: i % 3 === 1 ? a.redisPort : b.redisPort };
        await sleep(Math.random() * 1500);
        const res =
          call.kind === 'promote'
            ? await api(target).post('/v1/promote').set(auth()).send({ epoch, force: true })
            : await api(target)
                .post('/v1/demote')
                .set(auth())
                .send({ primaryHost: '127.0.0.1', primaryPort: call.port, epoch });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) accepted.push({ epoch, call, changed: res.body.changed });
        else assert.equal(res.status, 409, JSON.stringify(res.body));
      }),
    );
    assert.ok(accepted.length > 0, 'some calls were accepted');
    assert.ok((statuses.get(409) ?? 0) > 0, 'some calls were refused');
    const highest = accepted.reduce((max, c) => (c.epoch > max.epoch ? c : max));
    const s = await status(target);
    const state = (await readState(target.dataDir))!;
    assert.equal(state.epoch, highest.epoch);
    assert.equal(s.epoch, highest.epoch);
    if (highest.call.kind === 'promote') {
      assert.equal(s.role, 'primary');
      assert.deepEqual([state.role, state.primary], ['primary', null]);
    } else {
      assert.equal(s.role, 'replica');
      assert.equal(s.primary?.port, highest.call.port);
      assert.deepEqual([state.role, state.primary], ['replica', { host: '127.0.0.1', port: highest.call.port }]);
    }
    // Accepted epochs never went down, in the order they were accepted.
    for (let i = 1; i < accepted.length; i++)
      assert.ok(
        accepted[i].epoch >= accepted[i - 1].epoch,
        `accepted ${accepted[i - 1].epoch} then ${accepted[i].epoch}`,
      );
  });
});
