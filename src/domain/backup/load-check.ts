// The restore's last check before anything is installed: the downloaded, checksum-verified
// files are loaded by a temporary redis-server of the pod's own build, on a free loopback
// port, with the staging directory as its data directory. The check passes when it has loaded
// them and DBSIZE answers. A checksum only proves the bytes are the ones that were uploaded;
// this proves this Redis can load them (not truncated before the upload, not from a newer
// Redis, modules present). It is a full load: the init container needs the dataset's memory.
//
// The temporary server never replicates, never saves, never listens beyond 127.0.0.1, and is
// always stopped (SHUTDOWN NOSAVE, then SIGKILL) before the check returns.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisAdapter, RedisReplyError } from '../../redis/adapter.js';
import { messageOf } from '../../errors.js';

export interface LoadCheckRequest {
  /** The redis-server binary (--redis-server). */
  binary: string;
  /** The directory holding the RDB file `dbfilename`, or the AOF directory `aof.dir`. */
  dir: string;
  type: 'rdb' | 'aof';
  dbfilename?: string;
  /** The AOF directory's name and its manifest's (`<appendfilename>.manifest`). */
  aof?: { dir: string; appendfilename: string };
  /** `loadmodule` lines of the user's redis.conf, so data of modules can load. */
  modules: string[];
  timeoutMs: number;
}

export interface LoadCheckResult {
  keys: number;
  seconds: number;
}

/** Why the check failed, in the words of the redis-server that refused the files. */
export class LoadCheckError extends Error {
  override name = 'LoadCheckError';
}

const LOG_LIMIT = 64 * 1024;
const POLL_MS = 100;

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The `loadmodule` lines of a redis.conf (nothing else of it: it may name a primary, a port…). */
export async function moduleLines(redisConfig: string | undefined): Promise<string[]> {
  if (!redisConfig) return [];
  const text = await readFile(redisConfig, 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^loadmodule\s+\S/i.test(l));
}

function serverArgs(request: LoadCheckRequest, port: number): string[] {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'yes',
    '--daemonize',
    'no',
    '--dir',
    request.dir,
    '--dbfilename',
    request.dbfilename ?? 'dump.rdb',
    '--save',
    '',
    '--logfile',
    '',
    '--appendonly',
    request.type === 'aof' ? 'yes' : 'no',
  ];
  if (request.aof) args.push('--appenddirname', request.aof.dir, '--appendfilename', request.aof.appendfilename);
  for (const line of request.modules) args.push('--loadmodule', ...line.split(/\s+/).slice(1));
  return args;
}

/** One attempt; resolves to null when the port was taken under us (try another). */
async function attempt(request: LoadCheckRequest, port: number): Promise<LoadCheckResult | null> {
  const started = Date.now();
  const child = spawn(request.binary, serverArgs(request, port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const collect = (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // Set by the child's events (an object, so the checks below are not narrowed away).
  const ended: { exit: { code: number | null; signal: NodeJS.Signals | null } | null; error: Error | null } = {
    exit: null,
    error: null,
  };
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended.exit = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      ended.error = err;
      resolve();
    });
  });
  const redis = new RedisAdapter({ host: '127.0.0.1', port }, 1000, 'instance-manager-restore-check');
  try {
    const deadline = started + request.timeoutMs;
    for (;;) {
      if (ended.error) throw new LoadCheckError(`could not start ${request.binary}: ${messageOf(ended.error)}`);
      if (ended.exit) {
        if (/Address already in use/i.test(log)) return null;
        throw new LoadCheckError(
          `redis-server refused the restored files (${describeExit(ended.exit)}):\n${lastLines(log)}`,
        );
      }
      if (Date.now() > deadline)
        throw new LoadCheckError(
          `redis-server had not loaded the restored files after ${request.timeoutMs / 1000} s:\n${lastLines(log)}`,
        );
      try {
        await redis.ping();
        const keys = Number(await redis.command('DBSIZE'));
        return { keys, seconds: (Date.now() - started) / 1000 };
      } catch (err) {
        // LOADING (still loading), or not listening yet: wait. Anything else is an answer too.
        if (err instanceof RedisReplyError && err.code !== 'LOADING')
          throw new LoadCheckError(`redis-server answered ${err.message} after loading the restored files`);
      }
      await Promise.race([sleep(POLL_MS), exit]);
    }
  } finally {
    if (!ended.exit && !ended.error) {
      await redis.command('SHUTDOWN', 'NOSAVE').catch(() => {});
      await Promise.race([exit, sleep(2000)]);
      if (!ended.exit) child.kill('SIGKILL');
      await exit;
    }
    await redis.close();
  }
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function lastLines(log: string, count = 12): string {
  const lines = log.trim().split('\n').slice(-count);
  return lines.length > 0 && lines[0] !== '' ? lines.map((l) => `  ${l}`).join('\n') : '  (no output)';
}

/** Loads the files with a temporary redis-server; throws LoadCheckError when it cannot. */
export async function checkLoads(request: LoadCheckRequest): Promise<LoadCheckResult> {
  for (let tries = 0; tries < 3; tries++) {
    const result = await attempt(request, await freeLoopbackPort());
    if (result) return result;
  }
  throw new LoadCheckError('could not find a free loopback port for the load check');
}
