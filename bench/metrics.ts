// GET /metrics against prometheus-redis-exporter 1.45, side by side in one run against the
// same redis-server (ours by default and with --metrics-compat redis_exporter):
//   - scrapes/s and p50/p99 latency at 1 and 4 concurrent scrapers (wrk);
//   - Redis CPU per scrape: commandstats usec delta of the commands each one sends (and
//     redis-server's used_cpu delta, which also sees connection set-up);
//   - RSS of the manager and the exporter;
//   - metric families, and whether ours covers every INFO-derived family of the exporter;
//   - scrape cost as Redis grows: 1/100/200 distinct commands used, 1 and 16 dbs, 0 and 10
//     replicas.
// Prints a table. Run: make bench-metrics  (or: tsx bench/metrics.ts [--seconds 2])
// With --baseline old.mjs [--baseline-flags=...], another build of the manager scrapes the same
// Redis alongside, alternately, for "compared with today" figures.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { coverage, familiesOf } from './exporter-families.js';
import {
  bundle,
  DEPLOYED_NODE_FLAGS,
  freePort,
  settleIdle,
  killTree,
  median,
  memoryMiB,
  toMs,
  waitFor,
} from './lib.js';
import { cpuSeconds } from './support/cpu.js';

const root = join(import.meta.dirname, '..');
const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    baseline: { type: 'string' },
    'baseline-flags': { type: 'string', default: '' },
  },
});
const seconds = Number(opts.seconds) || 2;
/** The issue's goals for this benchmark (issue 13). */
const GOALS = { peakMiB: 80, scrapesVsExporter: 3, scrapesVsBaseline: 0.9 };
const work = mkdtempSync(join(tmpdir(), 'im-bench-metrics-'));
const children: ChildProcess[] = [];

function start(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function startRedis(extra: string[] = []): Promise<{ port: number; client: Redis; child: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(work, 'redis-'));
  const child = start('redis-server', [
    '--port',
    String(port),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    ...extra,
  ]);
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await waitFor(`redis on ${port}`, async () => {
    if (client.status !== 'ready') await client.connect();
    return (await client.ping()) === 'PONG' || undefined;
  });
  return { port, client, child };
}

async function httpUp(url: string): Promise<void> {
  await waitFor(url, async () => ((await fetch(url)).ok ? true : undefined));
}

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
}

function wrk(url: string, connections: number): WrkResult {
  const r = spawnSync('wrk', [`-t${connections}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], {
    encoding: 'utf8',
  });
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return {
    rps,
    requests,
    p50ms: toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99ms: toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
  };
}

type CommandStats = Map<string, { calls: number; usec: number }>;

async function commandStats(client: Redis): Promise<{ stats: CommandStats; cpu: number }> {
  const text = await client.info('all');
  const stats: CommandStats = new Map();
  for (const m of text.matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm))
    stats.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  const cpu = Number(/^used_cpu_sys:([\d.]+)/m.exec(text)![1]) + Number(/^used_cpu_user:([\d.]+)/m.exec(text)![1]);
  return { stats, cpu };
}

interface Cost {
  usecPerScrape: number;
  cpuUsecPerScrape: number;
  commands: string;
  p50ms: number;
}

/** N sequential scrapes: Redis time per scrape from commandstats, and the commands sent. */
async function scrapeCost(client: Redis, url: string, n: number): Promise<Cost> {
  const before = await commandStats(client);
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await (await fetch(url)).text();
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const after = await commandStats(client);
  latencies.sort((x, y) => x - y);
  return {
    ...costBetween(before.stats, after.stats, n),
    cpuUsecPerScrape: ((after.cpu - before.cpu) * 1e6) / n,
    p50ms: latencies[Math.floor(n / 2)],
  };
}

/** Redis time and commands per scrape between two commandstats snapshots taken around n scrapes. */
function costBetween(
  before: CommandStats,
  after: CommandStats,
  n: number,
): { usecPerScrape: number; commands: string } {
  // Reading INFO is itself an INFO call: the (info, calls+1) of the reading is removed below.
  let usec = 0;
  const perScrape: string[] = [];
  for (const [cmd, a] of after) {
    const b = before.get(cmd) ?? { calls: 0, usec: 0 };
    let calls = a.calls - b.calls;
    let du = a.usec - b.usec;
    if (cmd === 'info') {
      // One of those calls is our own first snapshot (INFO all): take its average cost out.
      du -= calls > 0 ? du / calls : 0;
      calls -= 1;
    }
    if (calls <= 0) continue;
    if (cmd === 'replconf' || cmd === 'ping') continue; // replication chatter, not a scraper's
    usec += du;
    perScrape.push(`${cmd}×${+(calls / n).toFixed(2)}`);
  }
  return { usecPerScrape: usec / n, commands: perScrape.join(' ') };
}

/**
 * Scrapes as Prometheus makes them, `spacingMs` apart, each scraper in turn in every round
 * (the same conditions for all): compat mode's once-a-second reads are fresh at each scrape.
 */
async function spacedCosts(client: Redis, urls: string[], rounds: number, spacingMs: number) {
  // Per scrape, its own window of commandstats: the median resists the odd scrape that a busy
  // machine stretches (a mean of ten would not).
  const perScrape = urls.map(() => [] as { usecPerScrape: number; commands: string }[]);
  for (let round = 0; round < rounds; round++) {
    await new Promise((r) => setTimeout(r, spacingMs));
    for (const [i, url] of urls.entries()) {
      const before = (await commandStats(client)).stats;
      await (await fetch(url)).text();
      perScrape[i].push(costBetween(before, (await commandStats(client)).stats, 1));
    }
  }
  return perScrape.map((costs) => {
    const calls = new Map<string, number>();
    for (const c of costs) {
      for (const part of c.commands.split(' ').filter((x) => x !== '')) {
        const [cmd, n] = part.split('×');
        calls.set(cmd, (calls.get(cmd) ?? 0) + Number(n));
      }
    }
    return {
      usecPerScrape: median(costs.map((c) => c.usecPerScrape)),
      commands: [...calls].map(([cmd, n]) => `${cmd}×${+(n / costs.length).toFixed(2)}`).join(' '),
    };
  });
}

/** Uses `count` distinct commands (each with no arguments where that is an arity error: safe). */
async function useDistinctCommands(client: Redis, count: number): Promise<number> {
  const docs = (await client.call('COMMAND', 'INFO')) as unknown[][];
  const names: string[] = [];
  for (const c of docs) {
    const [name, arity] = [String(c[0]), Number(c[1])];
    if (arity > 1 || arity < -1) names.push(name);
  }
  let used = 0;
  for (const name of names.sort()) {
    if (used >= count) break;
    await client.call(name).catch(() => {});
    used++;
  }
  return used;
}

/** Alternating rounds of `seconds` each: many short ones, so that load that comes and goes falls on every scraper. */
const ROUNDS = 7;

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** A manager from the bundle `file` attached to the Redis on `redisPort`; its url is its /metrics. */
async function startManager(
  file: string,
  nodeFlags: string[],
  redisPort: number,
  extra: string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = start(process.execPath, [
    ...nodeFlags,
    file,
    'run',
    '--listen',
    `127.0.0.1:${port}`,
    '--data-dir',
    join(work, `mgr-${port}`),
    '--redis-url',
    `redis://127.0.0.1:${redisPort}`,
    '--log-level',
    'warn',
    ...extra,
  ]);
  const url = `http://127.0.0.1:${port}/metrics`;
  await httpUp(url);
  return { child, url };
}

/** Each round's figure of one scraper over the same round's figure of another, in round order. */
function roundRatios(ours: number[], theirs: number[]): number[] {
  return ours.map((x, i) => x / theirs[i]);
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');

function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  console.log(`\n${title}`);
  for (const [i, r] of cells.entries()) {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

async function main(): Promise<void> {
  if (!existsSync(bundle)) spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  const version = spawnSync('prometheus-redis-exporter', ['--version'], { encoding: 'utf8' });
  console.log(
    `load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores`,
  );
  console.log(
    `node ${process.version}; ${`${version.stdout}${version.stderr}`.match(/Exporter (\S+)/)?.[0] ?? 'exporter ?'}; redis-server ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.match(/v=(\S+)/)?.[1]}; wrk ${seconds}s per run`,
  );

  const redis = await startRedis();
  const exporterPort = await freePort();
  const manager = await startManager(bundle, DEPLOYED_NODE_FLAGS, redis.port);
  const compatManager = await startManager(bundle, DEPLOYED_NODE_FLAGS, redis.port, [
    '--metrics-compat',
    'redis_exporter',
  ]);
  const baseline = opts.baseline
    ? await startManager(opts.baseline, opts['baseline-flags'].split(' ').filter(Boolean), redis.port)
    : undefined;
  const exporter = start('prometheus-redis-exporter', [
    '--redis.addr',
    `redis://127.0.0.1:${redis.port}`,
    '--web.listen-address',
    `127.0.0.1:${exporterPort}`,
  ]);
  const ours = manager.url;
  const compat = compatManager.url;
  const theirs = `http://127.0.0.1:${exporterPort}/metrics`;
  await httpUp(theirs);
  // A little realistic state: keys, a few commands, an error.
  await redis.client.set('k', 'v');
  await redis.client.get('k');
  await redis.client.hset('k', 'f', 'v').catch(() => {});

  // Throughput and latency (warm both first). The machine is shared: runs alternate between
  // the scrapers, ROUNDS times, and the median of each figure is reported, with the CPU time
  // each process spent per scrape (less sensitive to other load than wall-clock figures) and
  // its RSS after the runs (idle: before any).
  const scrapers = [
    { name: 'instance-manager', url: ours, pid: manager.child.pid! },
    { name: 'instance-manager --metrics-compat', url: compat, pid: compatManager.child.pid! },
    ...(baseline ? [{ name: 'baseline', url: baseline.url, pid: baseline.child.pid! }] : []),
    { name: 'redis_exporter', url: theirs, pid: exporter.pid! },
  ];
  // Idle: once start-up's collections are done.
  await settleIdle();
  const idle = new Map(await Promise.all(scrapers.map(async (x) => [x.name, (await memoryMiB(x.pid)).rss] as const)));
  for (const x of scrapers) wrk(x.url, 1);
  const runs: (string | number)[][] = scrapers.map((x) => [x.name, 'idle', '', '', '', '', fmt(idle.get(x.name)!), '']);
  const results: Record<string, WrkResult> = {};
  const perRound: Record<string, number[]> = {};
  for (const c of [1, 4]) {
    const samples = new Map<string, (WrkResult & { cpuMs: number })[]>(scrapers.map((x) => [x.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const { name, url, pid } of scrapers) {
        const cpu0 = await cpuSeconds(pid);
        const r = wrk(url, c);
        samples.get(name)!.push({ ...r, cpuMs: (((await cpuSeconds(pid)) - cpu0) * 1000) / r.requests });
      }
    }
    for (const { name, pid } of scrapers) {
      const list = samples.get(name)!;
      const r = {
        rps: median(list.map((x) => x.rps)),
        p50ms: median(list.map((x) => x.p50ms)),
        p99ms: median(list.map((x) => x.p99ms)),
        requests: 0,
      };
      results[`${name}/${c}`] = r;
      perRound[`${name}/${c}`] = list.map((x) => x.rps);
      runs.push([
        name,
        c,
        fmt(r.rps, 0),
        fmt(r.p50ms, 2),
        fmt(r.p99ms, 2),
        fmt(median(list.map((x) => x.cpuMs)), 3),
        fmt((await memoryMiB(pid)).rss),
        list.map((x) => fmt(x.rps, 0)).join('/'),
      ]);
    }
  }
  const peaks = new Map(await Promise.all(scrapers.map(async (x) => [x.name, (await memoryMiB(x.pid)).peak] as const)));
  // The floor of this HTTP stack: GET /healthz in attach mode (the fast path, one PING).
  const floor = wrk(ours.replace('/metrics', '/healthz'), 1);
  runs.push([
    '(floor: manager GET /healthz)',
    1,
    fmt(floor.rps, 0),
    fmt(floor.p50ms, 2),
    fmt(floor.p99ms, 2),
    '',
    '',
    '',
  ]);
  table(
    `Scrape throughput, latency and memory (wrk, median of ${ROUNDS} alternating runs of ${seconds} s; ratios below: the median of the ratios of the same round)`,
    ['scraper', 'conns', 'scrapes/s', 'p50 ms', 'p99 ms', 'own CPU ms/scrape', 'RSS MiB after', 'scrapes/s per run'],
    runs,
  );
  for (const c of [1, 4]) {
    for (const name of ['instance-manager', 'instance-manager --metrics-compat'] as const) {
      const a = results[`${name}/${c}`];
      const b = results[`redis_exporter/${c}`];
      const ratios = roundRatios(perRound[`${name}/${c}`], perRound[`redis_exporter/${c}`]);
      const ratio = median(ratios);
      const goal = c === 1 ? ` (goal ≥ ${GOALS.scrapesVsExporter}×: ${verdict(ratio >= GOALS.scrapesVsExporter)})` : '';
      console.log(
        `  ${c} conn: ${name} ${fmt(ratio, 2)}× the exporter's scrapes/s${goal} (per round ${ratios.map((x) => fmt(x, 2)).join(', ')}), p50 ${fmt(a.p50ms / b.p50ms, 2)}× its p50`,
      );
    }
    if (baseline) {
      const ratio = median(roundRatios(perRound[`instance-manager/${c}`], perRound[`baseline/${c}`]));
      console.log(
        `  ${c} conn: ours ${fmt(ratio, 2)}× the baseline's scrapes/s (goal ≥ ${GOALS.scrapesVsBaseline}: ${verdict(ratio >= GOALS.scrapesVsBaseline)})`,
      );
    }
  }
  const peak = peaks.get('instance-manager')!;
  console.log(
    `  peak RSS through the runs: ours ${fmt(peak)} MiB (goal ≤ ${GOALS.peakMiB}: ${verdict(peak <= GOALS.peakMiB)}), ${scrapers
      .slice(1)
      .map((x) => `${x.name} ${fmt(peaks.get(x.name)!)} MiB`)
      .join(', ')}`,
  );

  // Redis cost per scrape, families and RSS.
  const costOurs = await scrapeCost(redis.client, ours, 200);
  const costCompat = await scrapeCost(redis.client, compat, 200);
  const costTheirs = await scrapeCost(redis.client, theirs, 200);
  // As Prometheus scrapes: 1.1 s apart, so compat mode's once-a-second reads (slow log,
  // latency events) are fresh at every scrape and counted in full.
  const SPACED = 10;
  const [spacedOurs, spacedCompat, spacedTheirs] = await spacedCosts(
    redis.client,
    [ours, compat, theirs],
    SPACED,
    1100,
  );
  const oursText = await (await fetch(ours)).text();
  const compatText = await (await fetch(compat)).text();
  const theirsText = await (await fetch(theirs)).text();
  const cov = coverage(theirsText, oursText);
  table(
    'Redis cost per scrape (200 sequential scrapes), memory and families',
    [
      'scraper',
      'Redis usec/scrape (cmdstats)',
      `… median of ${SPACED} scrapes 1.1 s apart`,
      'Redis CPU usec/scrape (used_cpu)',
      'commands per scrape',
      'RSS MiB',
      'families',
      'INFO-derived',
      'bytes',
    ],
    [
      [
        'instance-manager',
        fmt(costOurs.usecPerScrape),
        fmt(spacedOurs.usecPerScrape),
        fmt(costOurs.cpuUsecPerScrape, 0),
        costOurs.commands,
        fmt((await memoryMiB(manager.child.pid!)).rss),
        familiesOf(oursText).size,
        [...familiesOf(oursText)].filter((f) => f.startsWith('redis_')).length,
        oursText.length,
      ],
      [
        'instance-manager --metrics-compat',
        fmt(costCompat.usecPerScrape),
        fmt(spacedCompat.usecPerScrape),
        fmt(costCompat.cpuUsecPerScrape, 0),
        costCompat.commands,
        fmt((await memoryMiB(compatManager.child.pid!)).rss),
        familiesOf(compatText).size,
        [...familiesOf(compatText)].filter((f) => f.startsWith('redis_')).length,
        compatText.length,
      ],
      [
        'redis_exporter',
        fmt(costTheirs.usecPerScrape),
        fmt(spacedTheirs.usecPerScrape),
        fmt(costTheirs.cpuUsecPerScrape, 0),
        costTheirs.commands,
        fmt((await memoryMiB(exporter.pid!)).rss),
        familiesOf(theirsText).size,
        cov.exporterInfoFamilies.length,
        theirsText.length,
      ],
    ],
  );
  console.log(
    `  Redis usec per scrape: ours ${fmt(costOurs.usecPerScrape / costTheirs.usecPerScrape, 2)}× the exporter's; ` +
      `with --metrics-compat ${fmt(costCompat.usecPerScrape / costTheirs.usecPerScrape, 2)}× back to back, ` +
      `${fmt(spacedCompat.usecPerScrape / spacedTheirs.usecPerScrape, 2)}× 1.1 s apart (${spacedCompat.commands}; goal ≤ 0.6×)`,
  );
  console.log(
    `  superset of the exporter's INFO-derived families: ${cov.missing.length === 0 && cov.unknown.length === 0 ? 'yes' : `NO (missing ${cov.missing.join(', ')}; unknown ${cov.unknown.join(', ')})`}`,
  );

  // Scrape cost as Redis grows. Each scenario on its own redis-server.
  const scenarios: { name: string; commands: number; dbs: number; replicas: number }[] = [
    { name: '1 command, 1 db, 0 replicas', commands: 1, dbs: 1, replicas: 0 },
    { name: '100 commands', commands: 100, dbs: 1, replicas: 0 },
    { name: '200 commands', commands: 200, dbs: 1, replicas: 0 },
    { name: '16 dbs', commands: 1, dbs: 16, replicas: 0 },
    { name: '10 replicas', commands: 1, dbs: 1, replicas: 10 },
    { name: '200 commands, 16 dbs, 10 replicas', commands: 200, dbs: 16, replicas: 10 },
  ];
  const growth: (string | number)[][] = [];
  for (const s of scenarios) {
    const r = await startRedis();
    const used = await useDistinctCommands(r.client, s.commands);
    for (let db = 0; db < s.dbs; db++) {
      await r.client.select(db);
      await r.client.set(`key${db}`, 'v');
    }
    await r.client.select(0);
    const replicas = await Promise.all(
      Array.from({ length: s.replicas }, () => startRedis(['--replicaof', '127.0.0.1', String(r.port)])),
    );
    if (s.replicas > 0) {
      await waitFor(
        'replicas online',
        async () =>
          (await r.client.info('replication')).match(/state=online/g)?.length === s.replicas ? true : undefined,
        60_000,
      );
    }
    const ePort = await freePort();
    const m = await startManager(bundle, DEPLOYED_NODE_FLAGS, r.port);
    const e = start('prometheus-redis-exporter', [
      '--redis.addr',
      `redis://127.0.0.1:${r.port}`,
      '--web.listen-address',
      `127.0.0.1:${ePort}`,
    ]);
    const mu = m.url;
    const eu = `http://127.0.0.1:${ePort}/metrics`;
    await httpUp(eu);
    const distinct = (await r.client.info('commandstats')).match(/^cmdstat_/gm)?.length ?? 0;
    const co = await scrapeCost(r.client, mu, 100);
    const ce = await scrapeCost(r.client, eu, 100);
    const lines = (await (await fetch(mu)).text()).split('\n').filter((l) => l && !l.startsWith('#')).length;
    growth.push([
      `${s.name} (${used}→${distinct} in cmdstats)`,
      lines,
      fmt(co.usecPerScrape),
      fmt(co.p50ms, 2),
      fmt((await memoryMiB(m.child.pid!)).rss),
      fmt(ce.usecPerScrape),
      fmt(ce.p50ms, 2),
      fmt((await memoryMiB(e.pid!)).rss),
    ]);
    for (const c of [m.child, e, ...replicas.map((x) => x.child), r.child]) killTree(c);
    for (const x of [r, ...replicas]) x.client.disconnect();
  }
  table(
    'Scrape cost as Redis grows (100 sequential scrapes each)',
    [
      'scenario',
      'our series',
      'ours Redis usec',
      'ours p50 ms',
      'ours RSS MiB',
      'exporter Redis usec',
      'exporter p50 ms',
      'exporter RSS MiB',
    ],
    growth,
  );
  redis.client.disconnect();
  console.log(`\nload average at end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}

try {
  await main();
} finally {
  for (const c of children) if (c.exitCode === null) killTree(c);
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
