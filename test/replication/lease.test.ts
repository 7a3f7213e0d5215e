// The primary lease (--primary-lease-seconds): a primary the operator stops renewing stops
// taking writes within a second of the expiry; the next renewal makes it writable again,
// with its replication history, so its replica continues with a partial resync. Under a
// write load of 4 writers, no write is acknowledged after expiry + 1 s and none is lost.
import assert from 'node:assert/strict';
import { createClient, renewLease } from '../../generated/client/src/index.js';
import { api } from '../helpers/api.js';
import { auth, TEST_TOKEN, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { freshReplica, status, waitForSync } from './cluster.js';

const LEASE_SECONDS = 2;

function syncCounts(info: string): { full: number; partial: number } {
  return {
    full: Number(/sync_full:(\d+)/.exec(info)![1]),
    partial: Number(/sync_partial_ok:(\d+)/.exec(info)![1]),
  };
}

describe('the primary lease', function () {
  this.timeout(120_000);
  let a: TestManager, b: TestManager;
  // Renews (one renewal at a time, as an operator would) until a test takes over: the set-up
  // takes longer than a lease.
  let renewing = true;
  let renewer: Promise<void> = Promise.resolve();
  before(async () => {
    [a, b] = await Promise.all([freshReplica({ raw: { primaryLeaseSeconds: String(LEASE_SECONDS) } }), freshReplica()]);
    await api(a).post('/v1/promote').set(auth()).send({ epoch: 3, force: true }).expect(200);
    const im = createClient({ baseUrl: a.url, token: TEST_TOKEN });
    renewer = (async () => {
      while (renewing) {
        await renewLease(im, 3).catch(() => undefined);
        await sleep(300);
      }
    })();
    await api(b)
      .post('/v1/demote')
      .set(auth())
      .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort, epoch: 3 })
      .expect(200);
    await waitForSync(b, a);
  });
  after(async () => {
    renewing = false;
    await renewer;
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('expires under 4 writers: no write acknowledged after expiry + 1 s; renewal restores writes with a partial resync; nothing acknowledged is lost', async () => {
    const im = createClient({ baseUrl: a.url, token: TEST_TOKEN });
    const acked: { key: string; at: number }[] = [];
    const refused: { at: number; message: string }[] = [];
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      const client = redisClient(a.redisPort);
      for (let n = 0; writing; n++) {
        const key = `w${w}:${n}`;
        try {
          await client.set(key, String(n));
          acked.push({ key, at: Date.now() });
        } catch (err) {
          refused.push({ at: Date.now(), message: (err as Error).message });
          await sleep(5);
        }
      }
    });

    // The operator renews for a while, with the client's helper…
    renewing = false;
    await renewer;
    for (let i = 0; i < 4; i++) {
      const renewed = await renewLease(im, 3);
      assert.equal(renewed.role, 'primary');
      await sleep(400);
    }
    assert.equal((await api(a).get('/v1/status').expect(200)).body.held, false);
    const expiresAt = Date.parse((await api(a).get('/v1/status').expect(200)).body.leaseExpiresAt as string);
    assert.ok(expiresAt > Date.now(), 'a lease in the future');
    assert.match((await api(a).get('/metrics').expect(200)).text, /^redis_instance_lease_remaining_seconds \d/m);
    const before = syncCounts(await redisClient(a.redisPort).info('stats'));

    // …then stops (cut off from it, say).
    await waitFor('writes to be refused', () => refused.some((r) => r.at >= expiresAt), 10_000);
    const ready = await api(a).get('/readyz').expect(503);
    assert.ok(
      ready.body.reasons.some((r: string) => r.startsWith('lease-expired:')),
      JSON.stringify(ready.body),
    );
    const held = (await api(a).get('/v1/status').expect(200)).body;
    assert.deepEqual([held.held, held.heldReason, held.leaseExpiresAt], [true, 'lease-expired', null]);
    await sleep(1500);
    // A loop, not Math.max(...): a fast machine acknowledges more writes than a call has room for arguments.
    const lastAck = acked.reduce((last, x) => Math.max(last, x.at), 0);
    assert.ok(lastAck <= expiresAt + 1000, `last write acknowledged ${lastAck - expiresAt} ms after the expiry`);
    assert.ok(
      refused.every((r) => /READONLY/.test(r.message)),
      'refused at once as read-only, never a hang or another error',
    );

    // The next renewal makes it writable again.
    await renewLease(im, 3);
    const renewedAt = Date.now();
    await waitFor('writes to be acknowledged again', () => acked.some((x) => x.at > renewedAt));
    writing = false;
    await Promise.all(writers);
    assert.equal((await status(a)).role, 'primary');

    await waitForSync(b, a, 30_000);
    const afterSync = syncCounts(await redisClient(a.redisPort).info('stats'));
    assert.equal(afterSync.full, before.full, 'no full resync');
    assert.ok(afterSync.partial > before.partial, 'the replica continued with a partial resync');

    // Every acknowledged write is on the primary and on its replica.
    for (const port of [a.redisPort, b.redisPort]) {
      const client = redisClient(port);
      const missing: string[] = [];
      // In slices: one MGET of every key would spread them all as arguments.
      for (let at = 0; at < acked.length; at += 10_000) {
        const slice = acked.slice(at, at + 10_000).map((x) => x.key);
        const values = await client.mget(slice);
        missing.push(...slice.filter((_, i) => values[i] === null));
      }
      assert.deepEqual(missing, [], `acknowledged writes missing on ${port}`);
    }
  });

  it('a plain promote (no epoch) does not renew it; an older epoch is refused', async () => {
    await renewLease(createClient({ baseUrl: a.url, token: TEST_TOKEN }), 3);
    await api(a).post('/v1/promote').set(auth()).send({ epoch: 2 }).expect(409);
    const before = (await api(a).get('/v1/status').expect(200)).body.leaseExpiresAt;
    await sleep(50);
    await api(a).post('/v1/promote').set(auth()).send({}).expect(200);
    assert.equal((await api(a).get('/v1/status').expect(200)).body.leaseExpiresAt, before);
  });
});
