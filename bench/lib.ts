// Shared pieces for benchmarks: processes on free ports, wrk runs, RSS readings, tables.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/helpers/ports.js';
import { sleep, waitFor } from '../test/helpers/wait.js';

export { sleep, waitFor };

export const run = promisify(execFile);
export const root = join(import.meta.dirname, '..');
export const bundle = join(root, 'dist/instance-manager.mjs');
/**
 * How long after it first answers a process counts as idle. The manager gives back what start-up
 * left in a memory-reducing collection at its first quiet moment from a second after it serves
 * (src/heap.ts); that collection wakes V8's memory reducer, which makes another some 8 s later.
 * The figure a pod keeps is the one after both (bench/README.md).
 */
export const IDLE_SETTLE_MS = 15_000;

/** Waits until a process started a moment ago counts as idle (IDLE_SETTLE_MS). */
export const settleIdle = () => sleep(IDLE_SETTLE_MS);

/** Node flags the manager is deployed with: the Dockerfile's NODE_OPTIONS (`make run` reads them too). */
export const DEPLOYED_NODE_FLAGS = (
  /^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1] ?? ''
)
  .split(' ')
  .filter(Boolean);

export async function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface Proc {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

export async function startProcess(
  command: string,
  args: string[],
  port: number,
  readyPath = '/',
  scheme: 'http' | 'https' = 'http',
): Promise<Proc> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `${scheme}://127.0.0.1:${port}`;
  await waitFor(`${command} on ${port}`, async () => (await answers(url + readyPath)) || undefined, 20_000);
  return {
    child,
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Whether anything answers at `url` (HTTPS: any certificate, as the kubelet probes). */
async function answers(url: string): Promise<boolean> {
  if (url.startsWith('http:')) return (await fetch(url).catch(() => undefined)) !== undefined;
  const { get } = await import('node:https');
  return new Promise((resolve) => {
    get(url, { rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve(true);
    }).on('error', () => resolve(false));
  });
}

/**
 * The manager from the bundle (or `build`, another bundle run with its own Node flags, e.g.
 * an older build to compare with), with its own redis-server in a temp dir; HTTPS when
 * `extra` has --tls-cert-file.
 */
export async function startManagerBundle(
  extra: string[] = [],
  build: { bundle: string; nodeFlags: string[] } = { bundle, nodeFlags: DEPLOYED_NODE_FLAGS },
): Promise<Proc & { redisPort: number; dataDir: string }> {
  const port = await freePort();
  const redisPort = await freePort();
  const dataDir = join(await scratchDir('im-bench-'), 'data');
  const proc = await startProcess(
    process.execPath,
    // Default log level (info, one line per request) into /dev/null: what a pod pays.
    [
      ...build.nodeFlags,
      build.bundle,
      'run',
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--redis-port',
      String(redisPort),
      '--initial-role',
      'primary',
      ...extra,
    ],
    port,
    '/healthz',
    extra.includes('--tls-cert-file') ? 'https' : 'http',
  );
  return {
    ...proc,
    redisPort,
    dataDir,
    // SIGTERM shuts its Redis down; then nothing of the run is left behind.
    async stop() {
      await proc.stop();
      await rm(dirname(dataDir), { recursive: true, force: true });
    },
  };
}

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

/** wrk's latency figures ("812.00us", "1.23ms", "2.01s") in milliseconds. */
export function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export async function wrk(
  url: string,
  connections: number,
  seconds: number,
  headers: string[] = [],
): Promise<WrkResult> {
  const threads = Math.min(connections, 2);
  const args = [
    '--latency',
    `-t${threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    ...headers.flatMap((h) => ['-H', h]),
    url,
  ];
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  const pct = (p: string) => toMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50ms: pct('50'), p99ms: pct('99'), errors };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/**
 * A process and its children. A manager started from its bundle re-execs itself into the
 * launcher (sh, holding the listening socket) and runs under it as its only child: the
 * manager's footprint is both (src/domain/upgrade/launcher-scripts.ts). The self-test child
 * exists only during an upgrade.
 */
export function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return [pid, ...children.map(Number).flatMap(processTree)];
  } catch {
    return [pid];
  }
}

/** SIGKILL to a process and its children (a manager's launcher does not pass SIGKILL on). */
export function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  for (const pid of processTree(child.pid).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** RSS of a process and its children (see processTree), in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  return (await memoryMiB(pid)).rss;
}

/**
 * Resident memory of a process and its children (see processTree) now, and the sum of their
 * peaks since they started (each one's kernel high-water mark), in MiB.
 */
export async function memoryMiB(pid: number): Promise<{ rss: number; peak: number }> {
  let rss = 0;
  let peak = 0;
  for (const p of processTree(pid)) {
    const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    rss += kib('VmRSS');
    peak += kib('VmHWM');
  }
  return { rss: rss / 1024, peak: peak / 1024 };
}

/** The 1, 5 and 15 minute load averages and the core count: throughput figures depend on them. */
export function loadAverage(): string {
  return `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${availableParallelism()} cores`;
}

/** The median of `values`. */
export function median(values: number[]): number {
  return percentile(values, 50);
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  return [line(cells[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.slice(1).map(line)].join(
    '\n',
  );
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

export { freePort };
