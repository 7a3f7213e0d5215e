// Requests the way the kubelet probes: one at a time, each on a new connection (for HTTPS a
// full handshake, no session resumption, the certificate not verified), timed from connect to
// the last byte of the response.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface NewConnectionRun {
  /** Milliseconds per successful request. */
  latencies: number[];
  errors: number;
  seconds: number;
}

function once(url: string): Promise<void> {
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const options = { agent: false as const, headers: { Connection: 'close' }, rejectUnauthorized: false };
    const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Sequential requests on new connections for `seconds`. */
export async function newConnections(url: string, seconds: number): Promise<NewConnectionRun> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      await once(url);
      latencies.push(performance.now() - t0);
    } catch {
      errors++;
    }
  }
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

/**
 * The same requests from curl (C and OpenSSL, as the kubelet's prober is Go's native TLS):
 * what a probe costs without a JavaScript client's own handshake work on the same two cores.
 * One curl process walks a numbered query string (which /healthz ignores), each transfer on
 * a new connection (`Connection: close`) with session caching off; it is stopped after
 * `seconds` and each transfer's `time_total` (connect to last byte) is read from its output.
 */
export async function newConnectionsCurl(url: string, seconds: number): Promise<NewConnectionRun> {
  const curl = spawn(
    'curl',
    [
      '--silent',
      '--insecure',
      '--no-sessionid',
      '--header',
      'Connection: close',
      '--output',
      '/dev/null',
      '--write-out',
      // To stderr, which curl does not buffer: the output of a curl stopped by a signal is
      // otherwise lost with its stdout buffer.
      '%{stderr}%{time_total} %{http_code} %{num_connects}\\n',
      `${url}?[1-10000000]`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let out = '';
  curl.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const started = performance.now();
  const exited = new Promise<void>((resolve, reject) => {
    curl.once('error', reject);
    curl.once('close', () => resolve());
  });
  const timer = setTimeout(() => curl.kill('SIGINT'), seconds * 1000);
  await exited;
  clearTimeout(timer);
  const elapsed = (performance.now() - started) / 1000;
  const latencies: number[] = [];
  let errors = 0;
  for (const line of out.split('\n')) {
    const [total, status, connects] = line.split(' ');
    if (total === undefined || status === undefined) continue;
    // A transfer that reused a connection would not be a probe's cost: count it as an error.
    if (status === '200' && connects === '1') latencies.push(Number(total) * 1000);
    else errors++;
  }
  return { latencies, errors, seconds: elapsed };
}

/** What a run of ab reports: its own percentiles (µs resolution), not every request's time. */
export interface PercentileRun {
  requests: number;
  errors: number;
  seconds: number;
  p50ms: number;
  p99ms: number;
}

/**
 * The same requests from ApacheBench (C and OpenSSL), the closest stand-in here for the
 * kubelet's prober: one TLS context for the whole run (the prober keeps one tls.Config), a
 * new TCP connection and a full handshake per request (no keep-alive without -k, no session
 * resumption: ab never sets a session), timed from connect to the last byte. curl, by
 * contrast, builds a new TLS context per transfer and re-reads the system CA bundle each
 * time, and the Node client builds a context per request: client work the kubelet does not do
 * but that lands in the measured time on these two shared cores. ab prints its percentiles
 * (-e), so this run gives p50 and p99 rather than every request's time.
 */
export async function newConnectionsAb(url: string, seconds: number): Promise<PercentileRun> {
  const dir = await mkdtemp(join(tmpdir(), 'im-bench-ab-'));
  const csv = join(dir, 'percentiles.csv');
  try {
    const ab = spawn('ab', ['-q', '-c', '1', '-t', String(seconds), '-n', '10000000', '-e', csv, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    ab.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    ab.stderr.resume();
    const code = await new Promise<number | null>((resolve, reject) => {
      ab.once('error', reject);
      ab.once('close', resolve);
    });
    if (code !== 0) throw new Error(`ab exited with ${code}: ${out.slice(-500)}`);
    // "Complete requests:      2136"; a line ab leaves out (Non-2xx when all were 2xx) is 0.
    const field = (label: string) => Number(new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(out)?.[1] ?? 0);
    const percentiles = new Map(
      (await readFile(csv, 'utf8'))
        .split('\n')
        .map((line) => line.split(','))
        .filter(([p, ms]) => /^\d+$/.test(p ?? '') && ms !== undefined)
        .map(([p, ms]) => [Number(p), Number(ms)] as const),
    );
    const at = (p: number) => {
      const ms = percentiles.get(p);
      if (ms === undefined) throw new Error(`ab printed no ${p}th percentile`);
      return ms;
    };
    return {
      requests: field('Complete requests'),
      // Failed counts connect, length and exception errors; a non-2xx answer is counted apart.
      errors: field('Failed requests') + field('Non-2xx responses'),
      seconds: field('Time taken for tests'),
      p50ms: at(50),
      p99ms: at(99),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
