// In-place upgrade under load: 10 PUT /v1/update in a row against a manager running from its
// bundle, while wrk hits /healthz, redis-benchmark writes to Redis, a Redis client INCRs in a
// loop and a prober opens a fresh connection to /healthz every few milliseconds.
//
//   tsx bench/upgrade.ts            (UPGRADES=10 by default)
//
// Figures: the HTTP unavailability window per upgrade (last answered probe before the exec to
// the first one after), Redis client errors (goal 0), and the time from the PUT to the new
// session reported by /v1/status. Goal (issue 5): HTTP unavailable ≤ 300 ms p50.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { DEPLOYED_NODE_FLAGS, percentile, waitFor } from './lib.js';
import { update } from '../generated/client/src/index.js';
import { isAlive } from '../src/domain/supervision/proc.js';
import { freePort } from '../test/helpers/ports.js';

const UPGRADES = Number(process.env.UPGRADES ?? 10);
const PROBE_GAP_MS = 2;
const TOKEN = 'bench-operator-token-0123456789';
const root = join(import.meta.dirname, '..');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function build(version: string, dir: string): Promise<string> {
  const out = join(dir, version, 'instance-manager.mjs');
  await promisify(execFile)(process.execPath, [join(root, 'scripts/build.mjs')], {
    env: { ...process.env, IM_BUILD_VERSION: version, IM_BUILD_OUT: out },
  });
  return out;
}

/** One GET /healthz on a new connection: true when it answered 200. */
function probeOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

interface Sample {
  at: number;
  ok: boolean;
}

/** Probes /healthz back to back until stopped; every answer is timestamped at its end. */
function startProber(port: number) {
  const samples: Sample[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const ok = await probeOnce(port);
      samples.push({ at: performance.now(), ok });
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

/** From the last success before the first failure after `from` to the next success. */
function unavailability(samples: Sample[], from: number, to: number): { windowMs: number; failed: number } {
  const during = samples.filter((s) => s.at >= from && s.at <= to);
  const firstFail = during.findIndex((s) => !s.ok);
  if (firstFail < 0) return { windowMs: 0, failed: 0 };
  const lastOk = [...samples].reverse().find((s) => s.ok && s.at < during[firstFail].at);
  const recovered = samples.find((s) => s.ok && s.at > during[firstFail].at);
  const failed = during.filter((s) => !s.ok).length;
  return { windowMs: (recovered?.at ?? to) - (lastOk?.at ?? from), failed };
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

function stopAndCollect(child: ChildProcess, signal: NodeJS.Signals): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => {
    child.once('exit', (code) => setTimeout(() => resolve({ code, out }), 100));
    child.kill(signal);
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'im-bench-upgrade-'));
  const [a, b] = await Promise.all([build('bench-a', dir), build('bench-b', dir)]);
  const bundles = [await readFile(a), await readFile(b)];
  const binDir = join(dir, 'bin');
  await mkdir(binDir);
  const bundle = join(binDir, 'instance-manager.mjs');
  await copyFile(a, bundle);
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  const [httpPort, redisPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;

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
      join(dir, 'data'),
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
    await waitFor('the manager', async () => ((await probeOnce(httpPort)) ? true : undefined));
    const redis = new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1 });
    const redisEvents: string[] = [];
    for (const name of ['error', 'close', 'reconnecting']) redis.on(name, () => redisEvents.push(name));
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
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let benchmarkOut = '';
    benchmark.stdout.on('data', (d: Buffer) => (benchmarkOut += d.toString()));
    benchmark.stderr.on('data', (d: Buffer) => (benchmarkOut += d.toString()));
    const prober = startProber(httpPort);
    await sleep(1000);

    const rows: {
      n: number;
      version: string;
      windowMs: number;
      failed: number;
      toSessionMs: number;
      incrErrors: number;
    }[] = [];
    for (let i = 0; i < UPGRADES; i++) {
      const file = bundles[(i + 1) % 2];
      const errorsBefore = incrErrors.length;
      const started = performance.now();
      const outcome = await update({ baseUrl: url, token: TOKEN }, file, { timeoutMs: 60_000, pollIntervalMs: 5 });
      const toSessionMs = performance.now() - started;
      await sleep(700); // let probes settle before the next exec
      const { windowMs, failed } = unavailability(prober.samples, started, performance.now());
      rows.push({
        n: i + 1,
        version: outcome.version,
        windowMs,
        failed,
        toSessionMs,
        incrErrors: incrErrors.length - errorsBefore,
      });
    }

    await prober.stop();
    writing = false;
    await writer;
    const benchmarkAlive = benchmark.exitCode === null;
    const [wrkResult] = await Promise.all([stopAndCollect(wrk, 'SIGINT'), stopAndCollect(benchmark, 'SIGINT')]);
    const sameConnection = (await redis.client('ID')) === clientId;
    const sameRun = /run_id:(\w+)/.exec(await redis.info('server'))![1] === runId;
    const counter = Number(await redis.get('bench:counter'));
    const eventsDuringUpgrades = [...redisEvents];

    // Redis killed after the upgrades: how soon does the (exec'd) manager notice?
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))![1]);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const detectedAt = await waitFor('the exit to be logged', async () => {
      const line = log.split('\n').find((l) => l.includes('"msg":"redis-server exited"') && l.includes(`"pid":${pid}`));
      return line ? Date.parse((JSON.parse(line) as { time: string }).time) : undefined;
    });
    await waitFor('Redis to be back', async () => ((await redis.ping()) === 'PONG' ? true : undefined));
    redis.disconnect();

    // The manager's own clock: from its "exec of the new build" line to the next "listening".
    const execToListen: number[] = [];
    let execAt: number | null = null;
    for (const line of log.split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; time?: string };
      if (entry.msg === 'exec of the new build') execAt = Date.parse(entry.time!);
      if (entry.msg === 'listening' && execAt !== null) {
        execToListen.push(Date.parse(entry.time!) - execAt);
        execAt = null;
      }
    }
    const windows = rows.map((r) => r.windowMs);
    const toSession = rows.map((r) => r.toSessionMs);
    const [load1] = (await readFile('/proc/loadavg', 'utf8')).split(' ');
    console.log(
      `\nIn-place upgrade under load (machine load average ${load1} at the end): ${UPGRADES} upgrades, bundle ${(bundles[0].length / 1e6).toFixed(1)} MB, Node ${process.version}, ${new Date().toISOString()}`,
    );
    console.log(
      '\n| # | to version | HTTP unavailable | failed probes | exec → listening (manager log) | PUT → new session | Redis client errors |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.n} | ${r.version} | ${fmt(r.windowMs)} | ${r.failed} | ${fmt(execToListen[r.n - 1] ?? NaN)} | ${fmt(r.toSessionMs)} | ${r.incrErrors} |`,
      );
    }
    console.log('\n| measure | p50 | max | goal |');
    console.log('|---|---|---|---|');
    console.log(
      `| HTTP unavailable (fresh connection to /healthz every ~${PROBE_GAP_MS} ms) | ${fmt(percentile(windows, 50))} | ${fmt(Math.max(...windows))} | ≤ 300 ms p50 |`,
    );
    console.log(
      `| exec → listening again (manager's log) | ${fmt(percentile(execToListen, 50))} | ${fmt(Math.max(...execToListen))} | |`,
    );
    console.log(
      `| PUT → new sessionId in /v1/status (client update()) | ${fmt(percentile(toSession, 50))} | ${fmt(Math.max(...toSession))} | |`,
    );
    console.log(
      `| Redis client (INCR loop) errors | ${incrErrors.length} in ${incrs} writes | events: ${eventsDuringUpgrades.join(',') || 'none'} | 0 |`,
    );
    console.log(
      `| same Redis connection / run_id throughout | ${sameConnection} / ${sameRun} | counter ${counter} = writes ${incrs}: ${counter === incrs} | true |`,
    );
    console.log(`| redis-benchmark (SET, 4 conns, looping) still running at the end | ${benchmarkAlive} | | true |`);
    console.log(`| Redis killed after the upgrades: exit logged after | ${fmt(detectedAt - killedAt)} | | < 1000 ms |`);
    const wrkSummary = wrkResult.out
      .split('\n')
      .filter((l) => /requests in|Socket errors|Non-2xx|Requests\/sec|Latency +\d|99%/.test(l))
      .map((l) => l.trim());
    console.log(`\nwrk -t1 -c8 on /healthz during the run:\n  ${wrkSummary.join('\n  ') || '(no summary)'}`);
    if (!benchmarkAlive) console.log(`\nredis-benchmark output:\n${benchmarkOut.slice(-2000)}`);
  } finally {
    manager.kill('SIGTERM');
    await new Promise((r) => manager.once('exit', r));
    const pidText = await readFile(join(dir, 'data', 'redis.pid'), 'utf8').catch(() => '');
    const redisPid = Number(pidText.trim());
    if (redisPid > 0 && isAlive(redisPid)) process.kill(redisPid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
