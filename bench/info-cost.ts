// What each way of reading INFO costs Redis, on every server at hand: Debian's redis-server
// (7.0) and, where ../shared/redis-versions exists, each server in it. Multi-section
// `INFO a b c` exists only from Redis 7.0, so the manager's reads had to change to a form
// every version accepts; this measures the candidates side by side in one run, against the
// multi-section calls they replace (the reference, where the server has them):
//   - Redis usec per read: the commandstats `info` usec delta (time inside the command);
//   - Redis CPU usec per read: used_cpu_user+sys delta (also sees writing the reply);
//   - reply bytes.
// The state is a realistic small primary: 10k keys over 4 dbs, ~60 distinct commands used
// (commandstats and latencystats lines), two replicas attached. Reads are sequential on one
// kept-open connection, as the manager sends them; rounds alternate between the variants and
// the median round is reported. Run: make bench-info  (or: tsx bench/info-cost.ts [--calls 400])
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, table, waitFor } from './lib.js';

const callsPerRound = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 400;
const ROUNDS = 5;
const VERSIONS_DIR = join(import.meta.dirname, '../../shared/redis-versions');
const work = mkdtempSync(join(tmpdir(), 'im-bench-info-'));
const children: ChildProcess[] = [];

interface Variant {
  name: string;
  /** What the manager uses it for (before → after this change). */
  use: string;
  calls: string[][];
}

const VARIANTS: Variant[] = [
  {
    name: 'INFO server replication keyspace',
    use: 'role read, before (7.0+ only)',
    calls: [['server', 'replication', 'keyspace']],
  },
  {
    name: 'INFO server persistence replication keyspace',
    use: 'reconcile, before (7.0+ only)',
    calls: [['server', 'persistence', 'replication', 'keyspace']],
  },
  {
    name: 'INFO server + INFO replication + INFO keyspace',
    use: 'three single sections',
    calls: [['server'], ['replication'], ['keyspace']],
  },
  { name: 'INFO (default)', use: 'status, backup; role read after', calls: [[]] },
  { name: 'INFO all', use: '/metrics (before and after)', calls: [['all']] },
  { name: 'INFO everything', use: '/metrics candidate', calls: [['everything']] },
  { name: 'INFO replication', use: 'readiness', calls: [['replication']] },
];

interface Server {
  label: string;
  binary: string;
}

function servers(): Server[] {
  const list: Server[] = [{ label: 'redis 7.0.15 (Debian)', binary: 'redis-server' }];
  if (!existsSync(VERSIONS_DIR)) {
    console.log(`(${VERSIONS_DIR} is absent: Debian's redis-server only)`);
    return list;
  }
  for (const name of readdirSync(VERSIONS_DIR).sort()) {
    const dir = join(VERSIONS_DIR, name);
    const binary = ['redis-server', 'valkey-server'].map((b) => join(dir, b)).find((b) => existsSync(b));
    if (binary) list.push({ label: name.replace('-', ' '), binary });
  }
  return list;
}

async function startServer(binary: string, extra: string[] = []): Promise<{ port: number; client: Redis }> {
  const port = await freePort();
  const dir = mkdtempSync(join(work, 'redis-'));
  const child = spawn(binary, ['--port', String(port), '--dir', dir, '--save', '', ...extra], { stdio: 'ignore' });
  children.push(child);
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await waitFor(`${binary} on ${port}`, async () => {
    if (client.status !== 'ready') await client.connect();
    return (await client.ping()) === 'PONG' || undefined;
  });
  return { port, client };
}

/** Keys in 4 dbs and about 60 distinct commands, as a small production primary has. */
async function realisticState(client: Redis): Promise<void> {
  const pipeline = client.pipeline();
  for (let i = 0; i < 10_000; i++) pipeline.set(`key:${i}`, `value-${i}`, 'EX', 3600 + i);
  await pipeline.exec();
  for (const db of [1, 2, 3]) {
    await client.select(db);
    for (let i = 0; i < 100; i++) await client.set(`k${i}`, 'v');
  }
  await client.select(0);
  const commands: (string | number)[][] = [
    ['GET', 'key:1'],
    ['MGET', 'key:1', 'key:2'],
    ['INCR', 'n'],
    ['DECR', 'n'],
    ['INCRBY', 'n', 5],
    ['APPEND', 's', 'x'],
    ['STRLEN', 's'],
    ['GETRANGE', 's', 0, 1],
    ['SETRANGE', 's', 0, 'y'],
    ['HSET', 'h', 'f', 'v'],
    ['HGET', 'h', 'f'],
    ['HGETALL', 'h'],
    ['HDEL', 'h', 'g'],
    ['HINCRBY', 'h', 'n', 1],
    ['HKEYS', 'h'],
    ['HLEN', 'h'],
    ['LPUSH', 'l', 'a'],
    ['RPUSH', 'l', 'b'],
    ['LPOP', 'l'],
    ['RPOP', 'l'],
    ['LRANGE', 'l', 0, -1],
    ['LLEN', 'l'],
    ['SADD', 'st', 'a'],
    ['SREM', 'st', 'b'],
    ['SMEMBERS', 'st'],
    ['SISMEMBER', 'st', 'a'],
    ['SCARD', 'st'],
    ['ZADD', 'z', 1, 'a'],
    ['ZRANGE', 'z', 0, -1],
    ['ZSCORE', 'z', 'a'],
    ['ZREM', 'z', 'b'],
    ['ZCARD', 'z'],
    ['ZINCRBY', 'z', 1, 'a'],
    ['EXPIRE', 'key:1', 5000],
    ['TTL', 'key:1'],
    ['PTTL', 'key:1'],
    ['PERSIST', 'key:2'],
    ['EXISTS', 'key:1'],
    ['TYPE', 'key:1'],
    ['DEL', 'nothing'],
    ['UNLINK', 'nothing'],
    ['RENAME', 's', 's2'],
    ['SCAN', 0],
    ['DBSIZE'],
    ['PING'],
    ['ECHO', 'x'],
    ['TIME'],
    ['LASTSAVE'],
    ['CLIENT', 'LIST'],
    ['CLIENT', 'SETNAME', 'bench'],
    ['CONFIG', 'GET', 'maxmemory'],
    ['SLOWLOG', 'LEN'],
    ['MEMORY', 'USAGE', 'key:1'],
    ['OBJECT', 'ENCODING', 'key:1'],
    ['PUBLISH', 'c', 'm'],
    ['SETEX', 'e', 100, 'v'],
    ['SETNX', 'nx', 'v'],
    ['GETSET', 'gs', 'v'],
    ['MSET', 'a', 1, 'b', 2],
    ['EVAL', 'return 1', 0],
    ['HSET', 'key:3', 'f', 'v'],
  ];
  for (const [name, ...args] of commands) await client.call(String(name), ...args).catch(() => {});
}

async function stats(client: Redis): Promise<{ usec: number; calls: number; cpu: number }> {
  const text = await client.info('all');
  const m = /^cmdstat_info:calls=(\d+),usec=(\d+)/m.exec(text);
  const cpu = Number(/^used_cpu_sys:([\d.]+)/m.exec(text)![1]) + Number(/^used_cpu_user:([\d.]+)/m.exec(text)![1]);
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0), cpu };
}

interface Figures {
  usec: number;
  cpuUsec: number;
  bytes: number;
}

/** One round of `callsPerRound` reads; null when the server refuses the variant. */
async function round(client: Redis, variant: Variant): Promise<Figures | null> {
  try {
    for (const args of variant.calls) await client.call('INFO', ...args);
  } catch {
    return null;
  }
  let bytes = 0;
  const before = await stats(client);
  for (let i = 0; i < callsPerRound; i++) {
    for (const args of variant.calls) bytes += String(await client.call('INFO', ...args)).length;
  }
  const after = await stats(client);
  // The `INFO all` of the first snapshot is counted in the delta; take it out.
  const snapshot = await snapshotCost(client);
  return {
    usec: (after.usec - before.usec - snapshot) / callsPerRound,
    cpuUsec: ((after.cpu - before.cpu) * 1e6) / callsPerRound,
    bytes: bytes / callsPerRound,
  };
}

async function snapshotCost(client: Redis): Promise<number> {
  const a = await stats(client);
  const b = await stats(client);
  return b.usec - a.usec;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function measure(server: Server): Promise<(string | number)[][]> {
  const primary = await startServer(server.binary);
  for (let i = 0; i < 2; i++) {
    const replica = await startServer(server.binary, ['--replicaof', '127.0.0.1', String(primary.port)]);
    await replica.client.quit();
  }
  await realisticState(primary.client);
  await waitFor(
    'two replicas online',
    async () => (await primary.client.info('replication')).match(/state=online/g)?.length === 2 || undefined,
    20_000,
  );
  const samples = new Map<string, (Figures | null)[]>(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const variant of VARIANTS) samples.get(variant.name)!.push(await round(primary.client, variant));
  }
  await primary.client.quit();
  return VARIANTS.map((v) => {
    const got = samples.get(v.name)!;
    if (got.some((s) => s === null)) return [server.label, v.name, v.use, 'refused', 'refused', '-'];
    const figures = got as Figures[];
    return [
      server.label,
      v.name,
      v.use,
      median(figures.map((f) => f.usec)),
      median(figures.map((f) => f.cpuUsec)),
      Math.round(median(figures.map((f) => f.bytes))),
    ];
  });
}

try {
  const rows: (string | number)[][] = [];
  for (const server of servers()) rows.push(...(await measure(server)));
  console.log(`\nRedis cost of one read, median of ${ROUNDS} rounds of ${callsPerRound} sequential reads\n`);
  console.log(
    table(['server', 'read', 'used for', 'Redis usec/read (cmdstats)', 'Redis CPU usec/read', 'reply bytes'], rows),
  );
} finally {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
