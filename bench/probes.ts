// Probe and status latency and throughput of the manager (the bundle, as deployed), side by
// side with a bare Node http server answering the same bytes, in one run. Then the manager's
// RSS idle and after 100k and 200k requests.
//   make bench-probes        (or: tsx bench/probes.ts [seconds-per-run])
import { join } from 'node:path';
import { bundle, freePort, rssMiB, startManagerBundle, startProcess, table, wrk, type WrkResult } from './lib.js';

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

/** Sends about `count` requests over 50 connections and returns how many completed. */
async function requests(url: string, count: number): Promise<number> {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({ url, connections: 50, amount: Math.round(count) });
  return result.requests.total;
}

await main();
