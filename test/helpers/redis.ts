// Plain redis-server processes for tests (a primary to replicate from, a Redis to attach
// to), each on a free port in its own temporary directory, and clients to talk to them.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';
import { isAlive } from '../../src/domain/supervision/proc.js';

export interface TestRedis {
  port: number;
  dir: string;
  pid: number;
  client(): Redis;
  stop(): Promise<void>;
}

const clients: Redis[] = [];
const servers: TestRedis[] = [];

/** A client that tests close in the global after hook. */
export function redisClient(port: number, options: { password?: string } = {}): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    password: options.password,
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    // CLIENT SETINFO is Redis 7.2+: on older servers it would count as error replies, which
    // the version matrix checks the manager never causes.
    disableClientInfo: true,
  });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** A redis-server (or `binary`, e.g. one of ../shared/redis-versions) on a free port; `dir` to reuse data. */
export async function startRedis(
  extraArgs: string[] = [],
  options: { binary?: string; dir?: string } = {},
): Promise<TestRedis> {
  const port = await freePort();
  const dir = options.dir ?? (await tempDir('im-redis-'));
  const child = spawn(
    options.binary ?? 'redis-server',
    ['--port', String(port), '--dir', dir, '--save', '', '--pidfile', join(dir, 'redis.pid'), ...extraArgs],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  child.unref();
  const pid = child.pid!;
  const probe = redisClient(port);
  await waitFor(`redis-server on ${port}`, async () => (await probe.ping()) === 'PONG');
  const server: TestRedis = {
    port,
    dir,
    pid,
    client: () => redisClient(port),
    async stop() {
      killPid(pid, 'SIGKILL');
      await waitFor(`redis ${pid} to exit`, () => !isAlive(pid), 5000);
    },
  };
  servers.push(server);
  return server;
}

/**
 * SAVE, once no background save runs: the fork that fed a replica its sync may still be
 * finishing after the replica reports the link up, and SAVE refuses to run beside it.
 */
export async function saveWhenIdle(client: Redis): Promise<void> {
  await waitFor('no background save', async () =>
    /^rdb_bgsave_in_progress:0\r?$/m.test(await client.info('persistence')),
  );
  await client.save();
}

export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Kills whatever redis-server a data directory's pidfile names (cleanup after managers). */
export async function killRedisIn(dataDir: string): Promise<void> {
  try {
    const pid = Number((await readFile(join(dataDir, 'redis.pid'), 'utf8')).trim());
    if (pid > 0) {
      killPid(pid, 'SIGCONT');
      killPid(pid, 'SIGKILL');
    }
  } catch {
    // no pidfile
  }
}

export async function closeRedisResources(): Promise<void> {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(servers.splice(0).map((s) => s.stop().catch(() => {})));
}
