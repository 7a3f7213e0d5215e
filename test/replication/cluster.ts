// Three managers on free ports, each with its own redis-server, started as fresh replicas
// (read-only, no primary) and formed into one primary and two replicas through the API.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, startTestManager, type TestManager, type TestManagerOptions } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

export function freshReplica(options: TestManagerOptions = {}): Promise<TestManager> {
  return startTestManager({ ...options, raw: { initialRole: 'replica', maxLagSeconds: '5', ...options.raw } });
}

/** [primary, replica, replica], all replicas linked up and holding `keys` keys. */
export async function startTrio(keys = 10): Promise<TestManager[]> {
  const nodes = await Promise.all([freshReplica(), freshReplica(), freshReplica()]);
  const [a, b, c] = nodes;
  await api(a).post('/v1/promote').set(auth()).send({ force: true }).expect(200);
  const pipeline = redisClient(a.redisPort).pipeline();
  for (let i = 0; i < keys; i++) pipeline.set(`seed:${i}`, String(i));
  await pipeline.exec();
  for (const r of [b, c])
    await api(r)
      .post('/v1/demote')
      .set(auth())
      .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort })
      .expect(200);
  for (const r of [b, c]) await waitForSync(r, a);
  return nodes;
}

/** Waits until `replica` follows `primary` with its link up and the same offset. */
export async function waitForSync(replica: TestManager, primary: TestManager, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    `${replica.redisPort} to sync from ${primary.redisPort}`,
    async () => {
      const [r, p] = await Promise.all([status(replica), status(primary)]);
      return (
        r.role === 'replica' &&
        r.primary?.port === primary.redisPort &&
        r.primary.linkStatus === 'up' &&
        p.role === 'primary' &&
        r.replicationOffset >= p.replicationOffset
      );
    },
    timeoutMs,
  );
}

export interface StatusBody {
  role: 'primary' | 'replica';
  replicationId: string;
  replicationOffset: number;
  primary: { host: string; port: number; linkStatus: 'up' | 'down' } | null;
  desiredRole: 'primary' | 'replica';
  epoch: number | null;
  fenced: boolean;
  lastRoleChangeAt: string | null;
}

export async function status(m: TestManager): Promise<StatusBody> {
  const res = await api(m).get('/v1/status').expect(200);
  return res.body as StatusBody;
}

export async function assertReadOnly(m: TestManager): Promise<void> {
  await assert.rejects(redisClient(m.redisPort).set('probe-write', '1'), /READONLY/);
}
