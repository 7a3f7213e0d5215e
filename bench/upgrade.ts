// In-place upgrade under load, this build against a baseline build, alternately in one run:
// for each, a manager runs from its bundle and is sent PUT /v1/update several times in a
// row while wrk hits /healthz, redis-benchmark writes to Redis, a Redis client INCRs in a
// loop and a prober opens a fresh connection to /healthz every few milliseconds.
//
//   tsx bench/upgrade.ts     UPGRADES=10 (per build), ROUNDS=2 (alternations),
//                            BASELINE=<git revision> (default: the last commit before the
//                            listening socket was kept across the exec), TRACE=1 (per upgrade:
//                            its three longest probes and the manager's log, in ms from the PUT)
//
// Figures per build: HTTP unavailability per upgrade, counted as the longest wait of any
// probe that started between the PUT and the new session (issue 13: p50 <= 200 ms), failed
// probes (goal 0 in every upgrade) and refused connections among them, the time from the PUT
// to the new sessionId in /v1/status (goal <= 0.5x the baseline's), exec -> listening from the
// manager's log, and Redis client errors (goal 0).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { DEPLOYED_NODE_FLAGS, percentile, sleep, waitFor } from './lib.js';
import { update } from '../generated/client/src/index.js';
import { isAlive } from '../src/domain/supervision/proc.js';
import { freePort } from '../test/helpers/ports.js';

const UPGRADES = Number(process.env.UPGRADES ?? 10);
const ROUNDS = Math.max(1, Math.min(UPGRADES, Number(process.env.ROUNDS ?? 2)));
const BASELINE = process.env.BASELINE ?? 'cef4b0a';
const PROBE_GAP_MS = 2;
const TOKEN = 'bench-operator-token-0123456789';
const root = join(import.meta.dirname, '..');
const exec = promisify(execFile);

/** Builds `version` from `tree` (a checkout of this repository) into `dir`. */
async function build(tree: string, version: string, dir: string): Promise<string> {
  const out = join(dir, version, 'instance-manager.mjs');
  await exec(process.execPath, [join(tree, 'scripts/build.mjs')], {
    env: { ...process.env, IM_BUILD_VERSION: version, IM_BUILD_OUT: out },
  });
  return out;
}

/** The baseline revision's source, beside this tree's node_modules. */
async function checkout(revision: string, dir: string): Promise<string> {
  const tree = join(dir, 'baseline-src');
  await mkdir(tree);
  const archive = spawn('git', ['-C', root, 'archive', revision], { stdio: ['ignore', 'pipe', 'inherit'] });
  const untar = spawn('tar', ['-x', '-C', tree], { stdio: ['pipe', 'inherit', 'inherit'] });
  archive.stdout.pipe(untar.stdin);
  await new Promise((resolve, reject) =>
    untar.once('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`git archive ${revision} failed`)))),
  );
  await symlink(join(root, 'node_modules'), join(tree, 'node_modules'));
  return tree;
}

/** One GET /healthz on a new connection: its status, or the error code that ended it. */
function probeOnce(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode!));
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

interface Sample {
  start: number;
  end: number;
  result: number | string;
}

/** Probes /healthz back to back until stopped; every probe is timestamped at both ends. */
function startProber(port: number) {
  const samples: Sample[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const start = performance.now();
      const result = await probeOnce(port);
      samples.push({ start, end: performance.now(), result });
      await sleep(PROBE_GAP_MS);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** The probes that started in [from, to]: the longest wait, the failures, the refusals. */
function unavailability(samples: Sample[], from: number, to: number) {
  const during = samples.filter((s) => s.start >= from && s.start <= to);
  return {
    longestMs: Math.max(0, ...during.map((s) => s.end - s.start)),
    failed: during.filter((s) => s.result !== 200).length,
    refused: during.filter((s) => s.result === 'ECONNREFUSED').length,
    probes: during.length,
  };
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** TRACE=1: per upgrade, the longest probes and the manager's log lines, in ms from the PUT. */
const TRACE = process.env.TRACE === '1';

function trace(samples: Sample[], log: string, from: number, to: number): void {
  const at = (t: number) => (t - from).toFixed(0);
  const longest = samples
    .filter((s) => s.start >= from && s.start <= to)
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, 3);
  const lines = log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; time?: string })
    .map((e) => ({ t: Date.parse(e.time ?? '') - performance.timeOrigin, msg: e.msg }))
    .filter((e) => e.t >= from - 10 && e.t <= to + 10 && e.msg !== 'request');
  console.log(
    `trace: probes ${longest.map((s) => `[${at(s.start)}, ${at(s.end)}]`).join(' ')}; log ${lines.map((e) => `${at(e.t)} ${e.msg}`).join(' | ')}`,
  );
}

function stopAndCollect(child: ChildProcess, signal: NodeJS.Signals): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => {
    child.once('exit', (code) => setTimeout(() => resolve({ code, out }), 100));
    child.kill(signal);
  });
}

interface Row {
  build: string;
  version: string;
  longestMs: number;
  failed: number;
  refused: number;
  probes: number;
  toSessionMs: number;
  execToListenMs: number;
  incrErrors: number;
}

interface Phase {
  rows: Row[];
  redisEvents: string[];
  sameConnection: boolean;
  sameRun: boolean;
  counterMatches: boolean;
  benchmarkAlive: boolean;
  wrkErrors: string;
}

/** The manager's own clock: from each "exec of the new build" line to the next "listening". */
function execToListen(log: string): number[] {
  const gaps: number[] = [];
  let execAt: number | null = null;
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: string };
    if (entry.msg === 'exec of the new build') execAt = Date.parse(entry.time!);
    if (entry.msg === 'listening' && execAt !== null) {
      gaps.push(Date.parse(entry.time!) - execAt);
      execAt = null;
    }
  }
  return gaps;
}

/** A manager from `builds[0]`, upgraded `count` times (alternating builds) under load. */
async function phase(label: string, builds: [string, string], count: number, dir: string): Promise<Phase> {
  const bundles = [await readFile(builds[0]), await readFile(builds[1])];
  const work = await mkdtemp(join(dir, `${label}-`));
  const binDir = join(work, 'bin');
  await mkdir(binDir);
  const bundle = join(binDir, 'instance-manager.mjs');
  await copyFile(builds[0], bundle);
  const tokenFile = join(work, 'token');
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  const [httpPort, redisPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const dataDir = join(work, 'data');
  let log = '';
  const manager = spawn(
    process.execPath,
    [
      ...DEPLOYED_NODE_FLAGS,
      bundle,
      'run',
      '--listen',
      `127.0.0.1:${httpPort}`,
      '--data-dir',
      dataDir,
      '--redis-port',
      String(redisPort),
      '--token-file',
      tokenFile,
      '--initial-role',
      'primary',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  manager.stdout.on('data', (d: Buffer) => (log += d.toString()));
  manager.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await waitFor('the manager', async () => ((await probeOnce(httpPort)) === 200 ? true : undefined), 30_000);
    const redis = new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1 });
    const redisEvents: string[] = [];
    for (const name of ['error', 'close', 'reconnecting']) {
      redis.on(name, (err?: Error) => {
        redisEvents.push(name);
        if (TRACE) console.log(`trace: Redis client ${name} ${err?.message ?? ''} at ${performance.now().toFixed(0)}`);
      });
    }
    const clientId = await redis.client('ID');
    const runId = /run_id:(\w+)/.exec(await redis.info('server'))![1];
    let incrs = 0;
    const incrErrors: number[] = [];
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await redis.incr('bench:counter').then(
          () => incrs++,
          () => incrErrors.push(performance.now()),
        );
        await sleep(1);
      }
    })();
    const wrk = spawn('wrk', ['-t1', '-c8', '-d600s', '--latency', `${url}/healthz`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const benchmark = spawn(
      'redis-benchmark',
      ['-p', String(redisPort), '-t', 'set', '-c', '4', '-n', '1000000000', '-r', '100000', '-q', '-l'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prober = startProber(httpPort);
    const stopLoad = async () => {
      await prober.stop();
      writing = false;
      await writer;
    };
    await sleep(1000);
    const rows: Row[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const file = bundles[(i + 1) % 2];
        const errorsBefore = incrErrors.length;
        const started = performance.now();
        if (TRACE) console.log(`trace: ${label} upgrade ${i + 1} at ${started.toFixed(0)}`);
        const outcome = await update({ baseUrl: url, token: TOKEN }, file, { timeoutMs: 60_000, pollIntervalMs: 5 });
        const toSessionMs = performance.now() - started;
        await sleep(700); // let probes settle before the next upgrade
        if (TRACE) trace(prober.samples, log, started, started + toSessionMs);
        rows.push({
          build: label,
          version: outcome.version,
          ...unavailability(prober.samples, started, started + toSessionMs),
          toSessionMs,
          execToListenMs: NaN,
          incrErrors: incrErrors.length - errorsBefore,
        });
      }
    } catch (err) {
      // Leave nothing running behind a failed phase, and say where it failed.
      await stopLoad();
      wrk.kill('SIGKILL');
      benchmark.kill('SIGKILL');
      redis.disconnect();
      throw new Error(
        `${label}, upgrade ${rows.length + 1}: ${err instanceof Error ? err.message : String(err)}\n${log.slice(-3000)}`,
      );
    }
    await stopLoad();
    const benchmarkAlive = benchmark.exitCode === null;
    const [wrkResult] = await Promise.all([stopAndCollect(wrk, 'SIGINT'), stopAndCollect(benchmark, 'SIGINT')]);
    const sameConnection = (await redis.client('ID')) === clientId;
    const sameRun = /run_id:(\w+)/.exec(await redis.info('server'))![1] === runId;
    const counterMatches = Number(await redis.get('bench:counter')) === incrs;
    const eventsDuringUpgrades = [...redisEvents];
    redis.disconnect();
    execToListen(log).forEach((ms, i) => rows[i] && (rows[i].execToListenMs = ms));
    const wrkErrors =
      /Socket errors: (.*)/.exec(wrkResult.out)?.[1] ?? (/Non-2xx/.test(wrkResult.out) ? 'non-2xx' : 'none');
    return {
      rows,
      redisEvents: eventsDuringUpgrades,
      sameConnection,
      sameRun,
      counterMatches,
      benchmarkAlive,
      wrkErrors,
    };
  } finally {
    manager.kill('SIGTERM');
    await new Promise((r) => manager.once('exit', r));
    const pidText = await readFile(join(dataDir, 'redis.pid'), 'utf8').catch(() => '');
    const redisPid = Number(pidText.trim());
    if (redisPid > 0 && isAlive(redisPid)) process.kill(redisPid, 'SIGKILL');
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'im-bench-upgrade-'));
  try {
    const baselineTree = await checkout(BASELINE, dir);
    const builds = {
      baseline: [await build(baselineTree, 'old-a', dir), await build(baselineTree, 'old-b', dir)] as [string, string],
      'this build': [await build(root, 'new-a', dir), await build(root, 'new-b', dir)] as [string, string],
    };
    const [load1Start] = (await readFile('/proc/loadavg', 'utf8')).split(' ');
    const phases: Record<string, Phase[]> = { baseline: [], 'this build': [] };
    for (let round = 0; round < ROUNDS; round++) {
      const count = Math.floor(UPGRADES / ROUNDS) + (round < UPGRADES % ROUNDS ? 1 : 0);
      for (const label of ['baseline', 'this build'] as const) {
        phases[label].push(await phase(label.replace(' ', '-'), builds[label], count, dir));
      }
    }
    const [load1End] = (await readFile('/proc/loadavg', 'utf8')).split(' ');
    const size = (await readFile(builds['this build'][0])).length;
    console.log(
      `\nIn-place upgrade under load: ${UPGRADES} upgrades per build in ${ROUNDS} alternating rounds; baseline ${BASELINE}; bundle ${(size / 1e6).toFixed(1)} MB; Node ${process.version}; load average ${load1Start} at start, ${load1End} at end; ${new Date().toISOString()}`,
    );
    console.log(
      '\n| build | # | to version | longest probe wait | failed probes (refused) | probes | exec → listening | PUT → new session | Redis client errors |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const label of ['baseline', 'this build']) {
      phases[label]
        .flatMap((p) => p.rows)
        .forEach((r, i) =>
          console.log(
            `| ${label} | ${i + 1} | ${r.version} | ${fmt(r.longestMs)} | ${r.failed} (${r.refused}) | ${r.probes} | ${fmt(r.execToListenMs)} | ${fmt(r.toSessionMs)} | ${r.incrErrors} |`,
          ),
        );
    }
    const rows = (label: string) => phases[label].flatMap((p) => p.rows);
    const p50 = (label: string, f: (r: Row) => number) => percentile(rows(label).map(f), 50);
    const max = (label: string, f: (r: Row) => number) => Math.max(...rows(label).map(f));
    const sum = (label: string, f: (r: Row) => number) => rows(label).reduce((a, r) => a + f(r), 0);
    const figure = (f: (r: Row) => number) => (label: string) => `${fmt(p50(label, f))} / ${fmt(max(label, f))}`;
    const ratio = (f: (r: Row) => number) => (p50('this build', f) / p50('baseline', f)).toFixed(2);
    console.log('\n| measure (p50 / max over the upgrades) | baseline | this build | this / baseline | goal |');
    console.log('|---|---|---|---|---|');
    const longest = (r: Row) => r.longestMs;
    const toSession = (r: Row) => r.toSessionMs;
    const execListen = (r: Row) => r.execToListenMs;
    console.log(
      `| HTTP unavailable: longest wait of any probe (fresh connection to /healthz every ~${PROBE_GAP_MS} ms) | ${figure(longest)('baseline')} | ${figure(longest)('this build')} | ${ratio(longest)} | ≤ 200 ms p50 |`,
    );
    console.log(
      `| failed probes per upgrade (max) / in all | ${max('baseline', (r) => r.failed)} / ${sum('baseline', (r) => r.failed)} | ${max('this build', (r) => r.failed)} / ${sum('this build', (r) => r.failed)} | | 0 in every upgrade |`,
    );
    console.log(
      `| refused connections (ECONNREFUSED) in all | ${sum('baseline', (r) => r.refused)} | ${sum('this build', (r) => r.refused)} | | 0 |`,
    );
    console.log(
      `| PUT → new sessionId in /v1/status (client update()) | ${figure(toSession)('baseline')} | ${figure(toSession)('this build')} | ${ratio(toSession)} | ≤ 0.5× baseline |`,
    );
    console.log(
      `| exec → listening (manager's log) | ${figure(execListen)('baseline')} | ${figure(execListen)('this build')} | ${ratio(execListen)} | |`,
    );
    for (const label of ['baseline', 'this build']) {
      const ps = phases[label];
      console.log(
        `| ${label}: Redis client errors / events; same connection, run_id, counter | ${sum(label, (r) => r.incrErrors)} / ${ps.flatMap((p) => p.redisEvents).join(',') || 'none'} | ${ps.every((p) => p.sameConnection)}, ${ps.every((p) => p.sameRun)}, ${ps.every((p) => p.counterMatches)} | | 0 / none; true |`,
      );
      console.log(
        `| ${label}: redis-benchmark alive at the end; wrk socket errors | ${ps.every((p) => p.benchmarkAlive)} | ${ps.map((p) => p.wrkErrors).join('; ')} | | |`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
