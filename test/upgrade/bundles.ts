// Bundles for upgrade tests: real builds of this source tree (scripts/build.mjs) with a
// chosen compiled-in version, and a manager running from a copy of one in a temp dir, the
// way a container runs /app/instance-manager.mjs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COMPILE_CACHE_NAME } from '../../src/domain/upgrade/bundle-files.js';
import { spawnManager, statusOf, testPaths, type ManagerProcess } from '../helpers/manager.js';
import { killPid, killRedisIn } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const root = join(import.meta.dirname, '../..');
const builds = new Map<string, Promise<string>>();

/** Builds (once per run) a bundle whose --version prints `version`; returns its path. */
export function buildBundle(version: string): Promise<string> {
  let built = builds.get(version);
  if (!built) {
    built = (async () => {
      const out = join(await tempDir('im-build-'), 'instance-manager.mjs');
      await promisify(execFile)(process.execPath, [join(root, 'scripts/build.mjs')], {
        env: { ...process.env, IM_BUILD_VERSION: version, IM_BUILD_OUT: out },
      });
      return out;
    })();
    builds.set(version, built);
  }
  return built;
}

export async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

export function digestHeader(bytes: Uint8Array): string {
  return `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;
}

export interface BundledManager extends ManagerProcess {
  /** The installed bundle the manager runs from (what an update replaces). */
  bundle: string;
  binDir: string;
  redisPort: number;
  tokenFile: string;
  /** SIGTERM (Redis is shut down with it), then make sure nothing is left. */
  stop(): Promise<void>;
}

/** A manager process running from a copy of the bundle built with `version`. */
export async function startBundledManager(
  version: string,
  extra: string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<BundledManager> {
  const source = await buildBundle(version);
  const paths = await testPaths();
  const binDir = join(paths.root, 'bin');
  await mkdir(binDir);
  const bundle = join(binDir, 'instance-manager.mjs');
  await copyFile(source, bundle);
  const manager = await spawnManager(
    { dataDir: paths.dataDir, redisPort: paths.redisPort, tokenFile: paths.tokenFile, extra, env },
    bundle,
  );
  const stop = async () => {
    if (manager.child.exitCode === null) {
      killPid(manager.child.pid!, 'SIGTERM');
      await waitFor('the manager to exit', () => manager.child.exitCode !== null, 15_000).catch(() =>
        killPid(manager.child.pid!, 'SIGKILL'),
      );
    }
    await killRedisIn(paths.dataDir);
  };
  // spawnManager waits for an HTTP answer; the tests start once Redis answers too.
  await waitFor(
    'Redis behind the manager to answer',
    async () => (await statusOf(`${manager.url}/v1/status`)) === 200,
  ).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return {
    ...manager,
    bundle,
    binDir,
    redisPort: paths.redisPort,
    tokenFile: paths.tokenFile,
    stop,
  };
}

/**
 * Name, size and mtime of every file in a directory: "nothing was written" is this unchanged.
 * The compile cache a self-test fills is left out: it is V8's cache, not a build.
 */
export async function listing(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name !== COMPILE_CACHE_NAME).sort();
  return Promise.all(
    names.map(async (name) => {
      const s = await stat(join(dir, name));
      return `${name} ${s.size} ${s.mtimeMs}`;
    }),
  );
}

/** Processes whose parent is `pid` and that are zombies (exited, never reaped). */
export async function zombieChildrenOf(pid: number): Promise<number[]> {
  const zombies: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(') ');
    if (close < 0) continue;
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === pid && state === 'Z') zombies.push(Number(entry));
  }
  return zombies;
}

/** The parent pid of a process, from /proc. */
export async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]);
}

/** Waits until no process runs `instance-manager bridge` for this data directory. */
export async function waitForNoBridge(dataDir: string): Promise<void> {
  const running = async () => {
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (argv.includes('bridge') && argv.includes(dataDir)) return true;
    }
    return false;
  };
  await waitFor('the bridge to exit', async () => !(await running()) || undefined, 20_000);
}
