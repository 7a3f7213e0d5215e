// Shared helpers for the /metrics tests: scrapes through the contract-checking client,
// promtool, and waiting for replicas to come online.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { api } from '../helpers/api.js';
import { freePort } from '../helpers/ports.js';
import { killPid } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { parseExposition, type Series } from './parse.js';

export interface Scrape {
  text: string;
  series: Series[];
  contentType: string;
}

export async function scrape(target: { url: string }, accept?: string): Promise<Scrape> {
  const req = api(target).get('/metrics');
  if (accept !== undefined) req.set('Accept', accept);
  const res = await req.expect(200);
  const text = res.text;
  return {
    text,
    series: parseExposition(text.replace(/^# EOF\n$/m, '')),
    contentType: String(res.headers['content-type']),
  };
}

/** `promtool check metrics`: no output and exit 0 means no problems. */
export function promtoolCheckMetrics(text: string): void {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(`${result.stdout}${result.stderr}`.trim(), '', 'promtool check metrics reports problems');
  assert.equal(result.status, 0);
}

export async function waitForReplicasOnline(primary: Redis, count: number): Promise<void> {
  await waitFor(
    `${count} replicas online`,
    async () => {
      const info = await primary.info('replication');
      return (info.match(/^slave\d+:.*state=online/gm) ?? []).length === count || undefined;
    },
    20_000,
  );
}

export function infoField(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info);
  if (!m) throw new Error(`INFO has no ${name}`);
  return m[1].trim();
}

/** Calls of one command so far, from INFO commandstats. */
export async function commandCalls(client: Redis, cmd: string): Promise<number> {
  const info = await client.info('commandstats');
  const m = new RegExp(`^cmdstat_${cmd.replace('|', '\\|')}:calls=(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : 0;
}

export interface Exporter {
  scrape(): Promise<string>;
  stop(): void;
}

/** Debian's prometheus-redis-exporter (1.45) on a free port, scraping one Redis. */
export async function startExporter(redisPort: number, extraArgs: string[] = []): Promise<Exporter> {
  const port = await freePort();
  const child = spawn(
    'prometheus-redis-exporter',
    ['--redis.addr', `redis://127.0.0.1:${redisPort}`, '--web.listen-address', `127.0.0.1:${port}`, ...extraArgs],
    { stdio: 'ignore' },
  );
  const exporter = {
    async scrape() {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      return res.text();
    },
    stop: () => killPid(child.pid!, 'SIGKILL'),
  };
  try {
    await waitFor('the exporter to answer', () => exporter.scrape().catch(() => undefined));
  } catch (err) {
    exporter.stop();
    throw err;
  }
  return exporter;
}

/** `promtool check metrics` findings (lint problems, one per line); throws on a parse error. */
export function promtoolFindings(text: string): string[] {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  // 0: clean; 3: lint problems only; anything else: the exposition does not parse.
  assert.ok(result.status === 0 || result.status === 3, `promtool: ${result.stdout}${result.stderr}`);
  return `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
}
