// Captures the INFO fixtures under test/fixtures/info from real servers: every server in
// ../shared/redis-versions and Debian's redis-server on PATH. For each: a primary with two
// replicas, the same small workload, then `INFO all` as Redis sends it (CRLF) from the primary
// and from a replica, written as <folder>-primary.txt / <folder>-replica.txt. Only the paths
// of this machine are replaced (executable, config file), so a capture shows no local paths.
// Run: make capture-info-fixtures   (or: tsx scripts/capture-info-fixtures.ts)
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { atLeast, serverFromVersionOutput, type RedisServer } from '../src/redis/capabilities.js';
import { freePort } from '../test/helpers/ports.js';
import { versionedServers } from '../test/helpers/redis-versions.js';
import { waitFor } from '../test/helpers/wait.js';

const OUT = join(import.meta.dirname, '../test/fixtures/info');
const work = mkdtempSync(join(tmpdir(), 'im-capture-'));
const children: ChildProcess[] = [];

interface Target {
  /** File name prefix: the folder's name, or redis-<version> for Debian's. */
  name: string;
  binary: string;
  identity: RedisServer;
}

function targets(): Target[] {
  const list: Target[] = [];
  const debian = serverFromVersionOutput(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }));
  if (debian) list.push({ name: `redis-${debian.version}`, binary: 'redis-server', identity: debian });
  const folder = versionedServers();
  if (folder === null) console.log('../shared/redis-versions is absent: capturing Debian’s redis-server only');
  for (const v of folder ?? []) list.push({ name: v.name, binary: v.server, identity: v.identity });
  return list;
}

async function start(binary: string, args: string[]): Promise<{ port: number; client: Redis }> {
  const port = await freePort();
  const dir = mkdtempSync(join(work, 'redis-'));
  children.push(spawn(binary, ['--port', String(port), '--dir', dir, '--save', '', ...args], { stdio: 'ignore' }));
  const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1, disableClientInfo: true });
  client.on('error', () => {});
  await waitFor(`${binary} on ${port}`, async () => {
    if (client.status !== 'ready') await client.connect();
    return (await client.ping()) === 'PONG' || undefined;
  });
  return { port, client };
}

/** The same commands on every server: hits, a miss, an error, keys with TTLs in two dbs. */
async function workload(redis: Redis, identity: RedisServer): Promise<void> {
  await redis.set('k:1', 'v');
  await redis.set('k:2', 'v', 'EX', 200);
  await redis.set('k:3', 'v', 'EX', 120);
  await redis.get('k:1');
  await redis.get('missing');
  await redis.hset('k:1', 'f', 'v').catch(() => {}); // WRONGTYPE
  await redis.call('NO-SUCH-COMMAND').catch(() => {}); // ERR unknown command
  await redis.call('CONFIG', 'GET', 'maxmemory');
  if (atLeast(identity.redisVersion, '7.4') && identity.name === 'redis') {
    // A hash field with a TTL: Keyspace lines gain subexpiry from 7.4.
    await redis.hset('h:1', 'f', 'v');
    await redis.call('HEXPIRE', 'h:1', 1000, 'FIELDS', 1, 'f');
  }
  await redis.select(3);
  await redis.set('k:1', 'v');
  await redis.set('k:2', 'v');
  await redis.select(0);
}

/** This machine's paths (temp dirs, the binary's folder) → neutral ones. */
function neutral(text: string, binary: string): string {
  return text
    .replace(/^executable:.*$/m, `executable:/usr/local/bin/${binary.split('/').pop()}`)
    .replace(/^config_file:.*$/m, 'config_file:');
}

async function capture(target: Target): Promise<void> {
  const primary = await start(target.binary, []);
  const replicas = [];
  for (let i = 0; i < 2; i++)
    replicas.push(await start(target.binary, ['--replicaof', '127.0.0.1', String(primary.port)]));
  await workload(primary.client, target.identity);
  // Both replicas online and acknowledging the workload's last offset.
  await waitFor(
    'replicas online and caught up',
    async () => {
      const info = await primary.client.info('replication');
      const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
      const acked = [...info.matchAll(/^slave\d+:.*state=online,offset=(\d+)/gm)].map((m) => Number(m[1]));
      return (acked.length === 2 && acked.every((o) => o >= offset)) || undefined;
    },
    20_000,
  );
  for (const [role, client] of [
    ['primary', primary.client],
    ['replica', replicas[0].client],
  ] as const) {
    const text = neutral(String(await client.info('all')), target.binary);
    writeFileSync(join(OUT, `${target.name}-${role}.txt`), text);
  }
  for (const c of [primary, ...replicas]) c.client.disconnect();
  console.log(`captured ${target.name} (${target.identity.name} ${target.identity.version})`);
}

try {
  for (const target of targets()) await capture(target);
} finally {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
