// Managers for tests. In-process (startTestManager) for most tests: fast, with direct access
// to the Instance. As a separate process (spawnManager) where the test must kill or signal
// the manager itself. Both use real redis-server processes on free ports in temp dirs.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { buildConfig, type Config, type RawOptions } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { startManager, type RunningManager } from '../../src/server.js';
import { freePort } from './ports.js';
import { killRedisIn } from './redis.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

export const TEST_TOKEN = 'test-operator-token-0123456789';

export interface TestManager extends RunningManager {
  url: string;
  config: Config;
  dataDir: string;
  tokenFile: string;
  redisPort: number;
  /** Stops the manager (SIGTERM path: Redis is shut down). */
  stop(): Promise<void>;
  /** Stops serving but leaves redis-server running, as a crashed manager would. */
  abandon(): Promise<void>;
}

export interface TestManagerOptions {
  raw?: RawOptions;
  /** Write this token to the token file; null for no token file at all. */
  token?: string | null;
  dataDir?: string;
  redisPort?: number;
  /** Log lines go here (default: discarded). */
  logLines?: string[];
}

const running = new Set<TestManager>();

export async function testPaths(options: TestManagerOptions = {}) {
  const root = await tempDir('im-mgr-');
  const dataDir = options.dataDir ?? join(root, 'data');
  const tokenFile = join(root, 'token');
  if (options.token !== null) await writeFile(tokenFile, `${options.token ?? TEST_TOKEN}\n`, { mode: 0o600 });
  const redisPort = options.redisPort ?? (await freePort());
  return { root, dataDir, tokenFile, redisPort };
}

export async function startTestManager(options: TestManagerOptions = {}): Promise<TestManager> {
  const { dataDir, tokenFile, redisPort } = await testPaths(options);
  const config = buildConfig({
    listen: '127.0.0.1:0',
    dataDir,
    redisPort: String(redisPort),
    tokenFile: options.token === null ? undefined : tokenFile,
    initialRole: 'primary',
    logLevel: 'info',
    ...options.raw,
  });
  config.redisStdio = 'ignore';
  const lines = options.logLines;
  const log = createLogger(config.logLevel, { write: (line: string) => void lines?.push(line) });
  const manager = await startManager(config, log);
  const url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${manager.port}`;
  const test: TestManager = {
    ...manager,
    url,
    config,
    dataDir,
    tokenFile,
    redisPort,
    async stop() {
      running.delete(test);
      await manager.shutdown();
      await killRedisIn(dataDir);
    },
    async abandon() {
      running.delete(test);
      manager.server.closeAllConnections();
      await new Promise<void>((r) => manager.server.close(() => r()));
      await manager.instance.detach();
    },
  };
  running.add(test);
  if (config.redisUrl === undefined) {
    await waitFor(
      'redis-server to answer',
      async () =>
        (await manager.instance.redis.ping().then(
          () => true,
          () => false,
        )) || undefined,
    );
  }
  return test;
}

export const auth = (token = TEST_TOKEN) => ({ Authorization: `Bearer ${token}` });

export interface ManagerProcess {
  child: ChildProcess;
  url: string;
  dataDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** The manager as its own process (tsx from source, or a bundle given as `entry`). */
export async function spawnManager(
  args: {
    dataDir: string;
    redisPort: number;
    tokenFile?: string;
    extra?: string[];
    /** 'spawned': return at once, for a test that acts while the manager starts. */
    waitUntil?: 'spawned' | 'listening' | 'redis-answers';
    /** Run as this user (the test runs as root and needs an unprivileged manager). */
    user?: { uid: number; gid: number };
    /** Added to this process's environment. */
    env?: NodeJS.ProcessEnv;
  },
  entry?: string,
): Promise<ManagerProcess> {
  const port = await freePort();
  const command = entry ? [entry] : ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts')];
  const child = spawn(
    process.execPath,
    [
      ...command,
      'run',
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      args.dataDir,
      '--redis-port',
      String(args.redisPort),
      '--initial-role',
      'primary',
      ...(args.tokenFile ? ['--token-file', args.tokenFile] : []),
      ...(args.extra ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], ...args.user, ...(args.env && { env: { ...process.env, ...args.env } }) },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `${(args.extra ?? []).includes('--tls-cert-file') ? 'https' : 'http'}://127.0.0.1:${port}`;
  spawned.add(child);
  if (args.waitUntil === 'spawned') return { child, url, dataDir: args.dataDir, output: () => out, exited };
  await waitFor(
    `manager on ${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`manager exited ${child.exitCode}: ${out}`);
      // 'redis-answers' (the default) waits until Redis answers INFO behind the manager (a
      // fresh replica is never ready, but it answers); 'listening' only for the HTTP port.
      const status = await statusOf(`${url}${args.waitUntil === 'listening' ? '/healthz' : '/v1/status'}`);
      return (status !== undefined && (args.waitUntil === 'listening' || status === 200)) || undefined;
    },
    20_000,
  );
  return { child, url, dataDir: args.dataDir, output: () => out, exited };
}

/**
 * The status of a GET, or undefined when none came. For waiting until a manager serves: over
 * HTTPS its certificate is not checked (the TLS tests check it where it matters).
 */
export function statusOf(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const options = { agent: false, rejectUnauthorized: false, timeout: 5000 };
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, options, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}

const spawned = new Set<ChildProcess>();

export async function stopAllManagers(): Promise<void> {
  for (const m of [...running]) await m.stop().catch(() => {});
  for (const child of spawned) if (child.exitCode === null) child.kill('SIGKILL');
  spawned.clear();
}
