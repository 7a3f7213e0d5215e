// Switchover benchmark: 20 switchovers with the client's switchover() under a steady write
// load, and promote latency; then, on the same three redis-server processes, 20
// `SENTINEL FAILOVER`s driven by three redis-sentinel processes. Prints one table.
//   tsx bench/switchover.ts [--rounds 20]
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createClient, switchover } from '../generated/client/src/index.js';
import { TEST_TOKEN, type TestManager } from '../test/helpers/manager.js';
import { freePort } from '../test/helpers/ports.js';
import { killRedisIn } from '../test/helpers/redis.js';
import { removeTempDirs, tempDir } from '../test/helpers/tmp.js';
import { waitFor } from '../test/helpers/wait.js';
import { startTrio, waitForSync } from '../test/replication/cluster.js';
import { WriteLoad } from '../test/replication/write-load.js';
import { percentile } from './lib.js';

/** Each of the 4 writers pauses this long between writes: the same steady rate for both peers. */
const WRITE_PAUSE_MS = 2;
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 20) || 20;

const progress = (line: string) => process.stderr.write(`${line}\n`);
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');

interface Figures {
  writePause: number[];
  /** Promote request → HTTP answer (managers only). */
  promoteResponse: number[];
  total: number[];
  promote: number[];
  lost: number;
  acknowledged: number;
  failures: number;
}

async function writable(port: number, redis: Map<number, Redis>): Promise<boolean> {
  let c = redis.get(port);
  if (!c) {
    c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    redis.set(port, c);
  }
  return c.set('bench:probe', '1').then(
    () => true,
    () => false,
  );
}

async function benchManagers(nodes: TestManager[]): Promise<Figures> {
  const figures: Figures = {
    writePause: [],
    promoteResponse: [],
    total: [],
    promote: [],
    lost: 0,
    acknowledged: 0,
    failures: 0,
  };
  const node = (m: TestManager) => ({
    client: createClient({ baseUrl: m.url, token: TEST_TOKEN }),
    redis: { host: '127.0.0.1', port: m.redisPort },
  });
  let primary = 0;
  let epoch = 100;
  const load = new WriteLoad(() => nodes[primary].redisPort, WRITE_PAUSE_MS);
  const windows: [number, number][] = [];
  load.start();
  await waitFor('writes to flow', () => load.acknowledged.length > 100);
  for (let i = 0; i < ROUNDS; i++) {
    const next = (primary + 1) % 3;
    const others = nodes.filter((_, j) => j !== primary && j !== next).map(node);
    const t0 = performance.now();
    try {
      const report = await switchover({ from: node(nodes[primary]), to: node(nodes[next]), others, epoch: ++epoch });
      primary = next;
      progress(`switchover ${i + 1}/${ROUNDS}: ${ms(report.totalMs)} ms`);
      figures.total.push(report.totalMs);
      windows.push([t0, performance.now()]);
    } catch (err) {
      figures.failures++;
      console.error('switchover failed:', err instanceof Error ? err.message : err);
    }
    const count = load.acknowledged.length;
    await waitFor('writes to flow again', () => load.acknowledged.length > count + 50);
    for (const m of nodes) if (m !== nodes[primary]) await waitForSync(m, nodes[primary], 30_000);
  }
  await load.stop();
  // The longest stretch without an acknowledged write around each switchover.
  for (const [from, to] of windows) figures.writePause.push(load.longestGap(from, to));
  figures.acknowledged = load.acknowledged.length;
  figures.lost = (await load.missingOn(nodes[primary].redisPort)).length;

  // Promote latency: request → role:master and writable, on a synced replica, then back.
  const probes = new Map<number, Redis>();
  for (let i = 0; i < ROUNDS; i++) {
    const target = nodes[(primary + 1) % 3];
    await writable(target.redisPort, probes); // connect the probe first (a replica answers READONLY)
    const t0 = performance.now();
    await node(target).client.promote({ body: { epoch: ++epoch, force: false, timeoutSeconds: 10 } });
    figures.promoteResponse.push(performance.now() - t0);
    await waitFor('the promoted node to take writes', () => writable(target.redisPort, probes), 10_000, 1);
    figures.promote.push(performance.now() - t0);
    await node(target).client.demote({
      body: { primaryHost: '127.0.0.1', primaryPort: nodes[primary].redisPort, epoch: ++epoch },
    });
    await waitForSync(target, nodes[primary], 30_000);
  }
  for (const c of probes.values()) c.disconnect();
  return figures;
}

async function startSentinels(primaryPort: number): Promise<{ ports: number[]; children: ChildProcess[] }> {
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const dir = await tempDir('im-sentinel-');
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor bench 127.0.0.1 ${primaryPort} 2`,
        'sentinel down-after-milliseconds bench 5000',
        'sentinel failover-timeout bench 10000',
        'sentinel parallel-syncs bench 2',
        '',
      ].join('\n'),
    );
    children.push(spawn('redis-sentinel', [conf], { stdio: 'ignore' }));
    ports.push(port);
  }
  return { ports, children };
}

async function benchSentinel(redisPorts: number[], primaryPort: number): Promise<Figures> {
  const figures: Figures = {
    writePause: [],
    promoteResponse: [],
    total: [],
    promote: [],
    lost: 0,
    acknowledged: 0,
    failures: 0,
  };
  const { ports, children } = await startSentinels(primaryPort);
  const sentinel = new Redis({ host: '127.0.0.1', port: ports[0] });
  sentinel.on('error', () => {});
  const masterPort = async () =>
    Number(((await sentinel.call('SENTINEL', 'get-master-addr-by-name', 'bench')) as string[])[1]);
  const probes = new Map<number, Redis>();
  const roles = new Map<number, Redis>();
  const role = async (port: number) => {
    let c = roles.get(port);
    if (!c) {
      c = new Redis({ host: '127.0.0.1', port });
      c.on('error', () => {});
      roles.set(port, c);
    }
    const info = await c.info('replication');
    return {
      master: /role:master/.test(info),
      following: Number(/master_port:(\d+)/.exec(info)?.[1] ?? 0),
      up: /master_link_status:up/.test(info),
    };
  };
  try {
    await waitFor(
      'sentinels to see both replicas and each other',
      async () => {
        const master = (await sentinel.call('SENTINEL', 'master', 'bench')) as string[];
        const get = (k: string) => Number(master[master.indexOf(k) + 1]);
        return get('num-slaves') === 2 && get('num-other-sentinels') === 2;
      },
      60_000,
      200,
    );
    let current = primaryPort;
    const load = new WriteLoad(() => current, WRITE_PAUSE_MS);
    const windows: [number, number][] = [];
    load.start();
    const follow = setInterval(() => {
      masterPort().then(
        (p) => (current = p),
        () => undefined,
      );
    }, 5);
    await waitFor('writes to flow', () => load.acknowledged.length > 100);
    for (let i = 0; i < ROUNDS; i++) {
      const old = current;
      const t0 = performance.now();
      // Retried while the previous failover finishes (INPROG) or sentinels judge replicas (NOGOODSLAVE).
      await waitFor(
        'SENTINEL FAILOVER to be accepted',
        () => sentinel.call('SENTINEL', 'failover', 'bench').then(() => true),
        60_000,
        20,
      );
      const accepted = performance.now();
      const promoted = await waitFor(
        'a replica to become a writable primary',
        async () => {
          for (const p of redisPorts) if (p !== old && (await role(p)).master && (await writable(p, probes))) return p;
          return undefined;
        },
        60_000,
        1,
      );
      figures.promote.push(performance.now() - t0);
      const converged = await waitFor(
        'every other node to follow the new primary',
        async () => {
          for (const p of redisPorts) {
            if (p === promoted) continue;
            const r = await role(p);
            if (r.master || r.following !== promoted || !r.up) return false;
          }
          return true;
        },
        90_000,
        5,
      ).catch(() => false);
      if (converged) figures.total.push(performance.now() - accepted);
      else figures.failures++;
      windows.push([t0, performance.now()]);
      progress(
        `sentinel failover ${i + 1}/${ROUNDS}: ${converged ? `${ms(performance.now() - accepted)} ms` : 'did not converge in 90 s'}`,
      );
      const count = load.acknowledged.length;
      await waitFor('writes to flow again', () => load.acknowledged.length > count + 50, 30_000);
      current = promoted;
    }
    clearInterval(follow);
    await load.stop();
    for (const [from, to] of windows) figures.writePause.push(load.longestGap(from, to));
    figures.acknowledged = load.acknowledged.length;
    figures.lost = (await load.missingOn(current)).length;
  } finally {
    sentinel.disconnect();
    for (const c of [...probes.values(), ...roles.values()]) c.disconnect();
    for (const child of children) child.kill('SIGKILL');
  }
  return figures;
}

function row(name: string, f: Figures): string[] {
  return [
    name,
    String(f.total.length),
    `${ms(percentile(f.writePause, 50))} / ${ms(percentile(f.writePause, 99))}`,
    `${ms(percentile(f.total, 50))} / ${ms(percentile(f.total, 99))}`,
    `${ms(percentile(f.promote, 50))} / ${ms(percentile(f.promote, 99))}`,
    f.promoteResponse.length
      ? `${ms(percentile(f.promoteResponse, 50))} / ${ms(percentile(f.promoteResponse, 99))}`
      : 'n/a',
    `${f.lost} of ${f.acknowledged}`,
    String(f.failures),
  ];
}

async function main(): Promise<void> {
  const nodes = await startTrio(1000);
  const dataDirs = nodes.map((m) => m.dataDir);
  let managers: Figures | undefined;
  let sentinel: Figures | undefined;
  const header = [
    'peer',
    'switchovers',
    'write pause p50 / p99 ms',
    'switchover total p50 / p99 ms',
    'promote → writable p50 / p99 ms',
    'promote answer p50 / p99 ms',
    'ack. writes lost',
    'failures',
  ];
  try {
    managers = await benchManagers(nodes);
    progress(`instance-manager: ${row('switchover()', managers).join(' | ')}`);
    const status = await Promise.all(
      nodes.map((m) => fetch(`${m.url}/v1/status`).then((r) => r.json() as Promise<{ role: string }>)),
    );
    const primaryPort = nodes[status.findIndex((s) => s.role === 'primary')].redisPort;
    const redisPorts = nodes.map((m) => m.redisPort);
    // The managers let go of their redis-servers, which keep running for the sentinels.
    for (const m of nodes) await m.abandon();
    sentinel = await benchSentinel(redisPorts, primaryPort);
  } finally {
    for (const dir of dataDirs) await killRedisIn(dir);
    await removeTempDirs();
  }
  if (!managers || !sentinel) throw new Error('a phase did not finish');
  const rows = [
    header,
    row('instance-manager switchover()', managers),
    row('redis-sentinel SENTINEL FAILOVER', sentinel),
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join(' | '));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
