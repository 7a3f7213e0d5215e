// Failover safety benchmark (issue 10): how fast a held primary takes writes again once the
// operator confirms it, and how fast a primary whose lease ran out stops taking writes.
// The manager runs from the bundle with its deployed Node flags and --primary-lease-seconds.
// Reference in the same run: REPLICAOF NO ONE sent straight to a redis-server behind the
// same placeholder (what Redis alone needs to become writable). Prints one table.
//   tsx bench/failover.ts [--rounds 30]
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createClient, renewLease } from '../generated/client/src/index.js';
import { percentile, scratchDir, startManagerBundle, table, waitFor } from './lib.js';
import { startRedis, closeRedisResources } from '../test/helpers/redis.js';
import { removeTempDirs } from '../test/helpers/tmp.js';

const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 30) || 30;
const LEASE_SECONDS = 1;
const EPOCH = 7;
const TOKEN = 'bench-operator-token-0123456789';
const progress = (line: string) => process.stderr.write(`${line}\n`);

function client(port: number): Redis {
  const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
  c.on('error', () => {});
  return c;
}

/** Writes in a tight loop; `firstOk()`/`firstRefused()` after a given instant. */
class Prober {
  private running = true;
  private readonly outcomes: { at: number; ok: boolean }[] = [];
  private readonly done: Promise<void>;
  constructor(private readonly redis: Redis) {
    this.done = (async () => {
      while (this.running) {
        const ok = await this.redis.set('bench:probe', '1').then(
          () => true,
          () => false,
        );
        this.outcomes.push({ at: performance.now(), ok });
        if (this.outcomes.length > 100_000) this.outcomes.splice(0, 50_000);
      }
    })();
  }
  async first(after: number, ok: boolean, timeoutMs = 10_000): Promise<number> {
    return waitFor(
      'the write outcome',
      () => this.outcomes.find((o) => o.at >= after && o.ok === ok)?.at,
      timeoutMs,
      1,
    );
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function main(): Promise<void> {
  const dir = await scratchDir('im-bench-failover-');
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  const manager = await startManagerBundle([
    '--token-file',
    tokenFile,
    '--primary-lease-seconds',
    String(LEASE_SECONDS),
  ]);
  const confirm: number[] = [];
  const confirmAnswer: number[] = [];
  const expiry: number[] = [];
  let redis: Redis | undefined;
  let prober: Prober | undefined;
  // Whatever fails, the manager and its Redis are stopped.
  try {
    const im = createClient({ baseUrl: manager.url, token: TOKEN, timeoutMs: 5000 });
    const data = (redis = client(manager.redisPort));
    await waitFor('redis behind the manager', () =>
      data.ping().then(
        () => true,
        () => false,
      ),
    );
    // The manager answers /healthz from the process table before it has reached its Redis.
    await waitFor('the manager reaching its Redis', () =>
      im.getStatus().then(
        () => true,
        () => false,
      ),
    );
    await data.set('bench:data', '1');
    await renewLease(im, EPOCH);
    const writes = (prober = new Prober(data));

    for (let i = 0; i < ROUNDS; i++) {
      // Renewed now: the lease ends LEASE_SECONDS from the renewal, as the status says.
      await renewLease(im, EPOCH);
      const status = await im.getStatus();
      const expiresAt = Date.parse(status.leaseExpiresAt!);
      const expiresAtPerf = performance.now() + (expiresAt - Date.now());
      const refusedAt = await writes.first(expiresAtPerf, false);
      expiry.push(refusedAt - expiresAtPerf);
      // Held now; the operator confirms it.
      await waitFor('held', async () => (await im.getStatus()).held === true, 5000, 5);
      const t0 = performance.now();
      await renewLease(im, EPOCH);
      confirmAnswer.push(performance.now() - t0);
      confirm.push((await writes.first(t0, true)) - t0);
      progress(
        `round ${i + 1}/${ROUNDS}: expiry→refused ${expiry.at(-1)!.toFixed(1)} ms, confirm→writable ${confirm.at(-1)!.toFixed(1)} ms`,
      );
    }
  } finally {
    await prober?.stop();
    redis?.disconnect();
    await manager.stop();
  }

  // Reference: Redis alone, from behind the same placeholder to writable.
  const plain = await startRedis(['--replicaof', '127.0.0.1', '0']);
  const plainClient = client(plain.port);
  await plainClient.set('x', '1').catch(() => undefined);
  const plainProber = new Prober(plainClient);
  const reference: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await plainClient.replicaof('127.0.0.1', 0);
    await plainProber.first(performance.now(), false);
    const t0 = performance.now();
    await plainClient.replicaof('NO', 'ONE');
    reference.push((await plainProber.first(t0, true)) - t0);
  }
  await plainProber.stop();
  plainClient.disconnect();
  await closeRedisResources();
  await removeTempDirs();

  const row = (name: string, values: number[], goal: string, ref?: number[]) => [
    name,
    percentile(values, 50),
    percentile(values, 99),
    Math.max(...values),
    ref ? (percentile(values, 99) / percentile(ref, 99)).toFixed(1) + '×' : '',
    goal,
  ];
  console.log(`\nfailover safety, ${ROUNDS} rounds, lease ${LEASE_SECONDS} s, bundle with deployed Node flags`);
  console.log(
    table(
      ['figure', 'p50 ms', 'p99 ms', 'max ms', 'p99 vs Redis alone', 'goal'],
      [
        row('confirm (promote) → first write acknowledged', confirm, 'p99 ≤ 50 ms', reference),
        row('confirm: HTTP answer', confirmAnswer, ''),
        row('Redis alone: REPLICAOF NO ONE → first write', reference, 'reference'),
        row('lease expiry → first write refused', expiry, '≤ 1000 ms'),
      ],
    ),
  );
}

await main();
