// Probe and status latency and throughput of the manager (the bundle, as deployed), side by
// side with a bare Node http server answering the same bytes, in one run. Then HTTPS (issue
// 11): /healthz over TLS with keep-alive, and on a new connection per request as the kubelet
// probes, each beside plain HTTP measured right before it. Then the manager's RSS idle and
// after 100k and 200k requests.
//   make bench-probes        (or: tsx bench/probes.ts [seconds-per-run])
import { join } from 'node:path';
import { serverPair, testPki } from '../test/helpers/certs.js';
import { removeTempDirs } from '../test/helpers/tmp.js';
import {
  bundle,
  freePort,
  percentile,
  rssMiB,
  startManagerBundle,
  startProcess,
  table,
  wrk,
  type WrkResult,
} from './lib.js';
import { withCpu } from './support/cpu.js';
import { newConnections } from './support/new-connections.js';

const seconds = Number(process.argv[2] ?? 5);

async function main() {
  const manager = await startManagerBundle();
  const health = await fetch(`${manager.url}/healthz`);
  const healthBody = await health.text();
  const barePort = await freePort();
  const bare = await startProcess(
    process.execPath,
    [
      join(import.meta.dirname, 'bare-server.mjs'),
      String(barePort),
      healthBody,
      health.headers.get('content-type') ?? 'application/json',
    ],
    barePort,
  );
  await new Promise((r) => setTimeout(r, 1000));
  const idle = await rssMiB(manager.child.pid!);

  const rows: (string | number)[][] = [];
  const results = new Map<string, WrkResult>();
  for (const connections of [1, 50]) {
    for (const [name, url] of [
      ['bare node http', `${bare.url}/`],
      ['GET /healthz', `${manager.url}/healthz`],
      ['GET /readyz', `${manager.url}/readyz`],
      ['GET /v1/status', `${manager.url}/v1/status`],
    ] as const) {
      await wrk(url, connections, 1); // warm-up
      const r = await wrk(url, connections, seconds);
      results.set(`${name}@${connections}`, r);
      rows.push([name, connections, r.rps, r.p50ms, r.p99ms, r.errors]);
    }
  }
  console.log(`\nlatency and throughput (wrk, ${seconds} s per row, ${bundle})`);
  console.log(table(['target', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows));
  for (const c of [1, 50]) {
    const ratio = results.get(`GET /healthz@${c}`)!.rps / results.get(`bare node http@${c}`)!.rps;
    console.log(`healthz throughput / bare at ${c} connection(s): ${ratio.toFixed(2)} (goal ≥ 0.5)`);
  }
  console.log(`healthz p99 at 50 connections: ${results.get('GET /healthz@50')!.p99ms} ms (goal ≤ 2 ms)`);

  await https(
    { url: manager.url, pid: manager.child.pid! },
    { url: bare.url, pid: bare.child.pid! },
    healthBody,
    health.headers.get('content-type') ?? 'application/json',
  );

  // RSS: idle, then after 100k and 200k more requests across the three endpoints.
  const readings: (string | number)[][] = [['idle', 0, idle]];
  let total = 0;
  for (const round of [1, 2]) {
    for (const path of ['/healthz', '/readyz', '/v1/status']) {
      total += await requests(`${manager.url}${path}`, 100_000 / 3);
    }
    await new Promise((r) => setTimeout(r, 1000));
    readings.push([`after round ${round}`, total, await rssMiB(manager.child.pid!)]);
  }
  console.log('\nmanager RSS');
  console.log(table(['when', 'requests served', 'RSS MiB'], readings));
  await bare.stop();
  await manager.stop();
}

/**
 * /healthz over HTTPS against plain HTTP, and bare Node https against bare Node http (what
 * TLS costs Node itself), with the server's CPU time per request (steadier
 * than wall-clock figures under other load). The machine is shared, so the targets of a row
 * group are measured in interleaved one-second rounds (plain, HTTPS, Node's floor, plain, …):
 * load that comes and goes falls on all of them alike. Certificates come from openssl: ECDSA
 * P-256 (what config/samples/certificates.yaml issues) and RSA 2048 (cert-manager's default)
 * for the new-connection rows, where the key type decides the handshake's cost.
 */
async function https(
  plain: { url: string; pid: number },
  barePlain: { url: string; pid: number },
  body: string,
  contentType: string,
): Promise<void> {
  const [ec, rsa] = await Promise.all([serverPair('bench-ec', 'ec'), serverPair('bench-rsa', 'rsa')]);
  const tls = (pair: { cert: string; key: string }) => ['--tls-cert-file', pair.cert, '--tls-key-file', pair.key];
  // The ECDSA manager also asks every handshake for a client certificate, as the samples run it.
  const clientCa = ['--tls-client-ca-file', (await testPki()).ca];
  const [ecManager, rsaManager] = await Promise.all([
    startManagerBundle([...tls(ec), ...clientCa]),
    startManagerBundle(tls(rsa)),
  ]);
  // Node's own floor: a bare https server answering the same bytes with the same certificate.
  const barePort = await freePort();
  const bare = await startProcess(
    process.execPath,
    [join(import.meta.dirname, 'bare-server.mjs'), String(barePort), body, contentType, ec.cert, ec.key],
    barePort,
    '/',
    'https',
  );
  const target = (name: string, proc: { url: string; child: { pid?: number } }): Target => ({
    name,
    url: `${proc.url}/healthz`,
    pid: proc.child.pid!,
  });
  const plainTarget: Target = { name: 'plain HTTP', url: `${plain.url}/healthz`, pid: plain.pid };
  const secure = target('HTTPS ECDSA P-256', ecManager);
  const floor = target('bare Node https, ECDSA P-256', bare);
  const plainFloor: Target = { name: 'bare Node http', url: `${barePlain.url}/`, pid: barePlain.pid };
  try {
    const rows: (string | number)[][] = [];
    const verdicts: string[] = [];
    const row = (name: string, connections: number | string, r: Figures, reference?: Figures) =>
      rows.push([
        name,
        connections,
        r.rps,
        r.p50ms,
        r.p99ms,
        r.errors,
        r.cpuUsPerRequest,
        reference ? (r.rps / reference.rps).toFixed(2) : '',
        reference ? (reference.cpuUsPerRequest / r.cpuUsPerRequest).toFixed(2) : '',
      ]);
    for (const connections of [1, 50]) {
      const [reference, r, nodePlain, nodeFloor] = await interleaved(
        [plainTarget, secure, plainFloor, floor],
        async (t) => {
          const run = await wrk(t.url, connections, ROUND_SECONDS);
          return {
            requests: run.rps * ROUND_SECONDS,
            seconds: ROUND_SECONDS,
            errors: run.errors,
            p50: [run.p50ms],
            p99: [run.p99ms],
          };
        },
      );
      row('plain HTTP, keep-alive', connections, reference);
      row(`${secure.name}, keep-alive`, connections, r, reference);
      row(`${plainFloor.name}, keep-alive`, connections, nodePlain);
      row(`${floor.name}, keep-alive`, connections, nodeFloor, nodePlain);
      const ratio = r.rps / reference.rps;
      const cpu = (a: Figures, b: Figures) => (b.cpuUsPerRequest / a.cpuUsPerRequest).toFixed(2);
      verdicts.push(
        `HTTPS keep-alive / plain at ${connections} connection(s): throughput ${ratio.toFixed(2)}, server CPU per request ${cpu(r, reference)} (bare Node https / http: ${(nodeFloor.rps / nodePlain.rps).toFixed(2)}, CPU ${cpu(nodeFloor, nodePlain)}; goal ≥ 0.8: ${ratio >= 0.8 ? 'met' : 'missed'})`,
      );
    }
    const probes = [plainTarget, secure, target('HTTPS RSA 2048', rsaManager), plainFloor, floor];
    const figures = await interleaved(probes, async (t) => {
      const run = await newConnections(t.url, ROUND_SECONDS);
      return { requests: run.latencies.length, seconds: run.seconds, errors: run.errors, latencies: run.latencies };
    });
    const reference = figures[0];
    const referenceOf = [undefined, reference, reference, undefined, figures[3]];
    probes.forEach((t, i) => row(`${t.name}, new connection per request`, 'seq.', figures[i], referenceOf[i]));
    for (const i of [1, 2]) {
      const { p99ms } = figures[i];
      verdicts.push(
        `${probes[i].name}, new connection per request: p99 ${p99ms.toFixed(2)} ms (plain ${reference.p99ms.toFixed(2)} ms; bare Node https ${figures[4].p99ms.toFixed(2)} ms, http ${figures[3].p99ms.toFixed(2)} ms; goal ≤ 5 ms: ${p99ms <= 5 ? 'met' : 'missed'})`,
      );
    }
    console.log(
      `\nHTTPS /healthz (keep-alive: wrk; new connections: one request at a time, no keep-alive, no session resumption, as the kubelet probes; ${seconds} rounds of ${ROUND_SECONDS} s per target, interleaved; wrk's percentiles are the median of the rounds'; "× plain": the manager against the plain manager, bare Node https against bare Node http, in throughput and in server CPU per request)`,
    );
    console.log(
      table(
        [
          'target',
          'connections',
          'req/s',
          'p50 ms',
          'p99 ms',
          'errors',
          'server CPU µs/req',
          '× plain req/s',
          '× plain CPU/req',
        ],
        rows,
      ),
    );
    for (const line of verdicts) console.log(line);
  } finally {
    await Promise.all([ecManager.stop(), rsaManager.stop(), bare.stop()]);
    await removeTempDirs();
  }
}

const ROUND_SECONDS = 1;

interface Target {
  name: string;
  url: string;
  pid: number;
}

interface Round {
  requests: number;
  seconds: number;
  errors: number;
  /** Per-request latencies (ms) when the client has them, or the run's own percentiles. */
  latencies?: number[];
  p50?: number[];
  p99?: number[];
}

interface Figures {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  cpuUsPerRequest: number;
}

/**
 * `seconds` rounds over the targets in turn (after one untimed warm-up round each), summed
 * per target with the target's CPU time per request.
 */
async function interleaved(targets: Target[], runOne: (t: Target) => Promise<Round>): Promise<Figures[]> {
  for (const t of targets) await runOne(t);
  const totals = targets.map(() => ({
    requests: 0,
    seconds: 0,
    errors: 0,
    cpu: 0,
    latencies: [] as number[],
    p50: [] as number[],
    p99: [] as number[],
  }));
  for (let round = 0; round < seconds; round++) {
    for (const [i, t] of targets.entries()) {
      const { result, cpu } = await withCpu(t.pid, () => runOne(t));
      const total = totals[i];
      total.requests += result.requests;
      total.seconds += result.seconds;
      total.errors += result.errors;
      total.cpu += cpu;
      total.latencies.push(...(result.latencies ?? []));
      total.p50.push(...(result.p50 ?? []));
      total.p99.push(...(result.p99 ?? []));
    }
  }
  return totals.map((t) => ({
    rps: t.requests / t.seconds,
    p50ms: t.latencies.length ? percentile(t.latencies, 50) : percentile(t.p50, 50),
    p99ms: t.latencies.length ? percentile(t.latencies, 99) : percentile(t.p99, 50),
    errors: t.errors,
    cpuUsPerRequest: (t.cpu / t.requests) * 1e6,
  }));
}

/** Sends about `count` requests over 50 connections and returns how many completed. */
async function requests(url: string, count: number): Promise<number> {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({ url, connections: 50, amount: Math.round(count) });
  return result.requests.total;
}

await main();
