// How this process came to be, as far as the upgrade cares: whether it was handed its HTTP
// listening socket (and so may serve on it, and hand it on at the next exec), which launcher
// is its parent, and how a new build on trial ended when the launcher restarts the previous
// one. See launcher-scripts.ts for the processes involved.
import { accessSync, constants, fstatSync, readlinkSync } from 'node:fs';
import { isIP, type AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { installedPathFor, isBundlePath, recordPath } from './bundle-files.js';
import { BIND_SCRIPT, LAUNCHER_SCRIPT } from './launcher-scripts.js';

export const LISTEN_FD_ENV = 'IM_LISTEN_FD';
export const LAUNCHER_PID_ENV = 'IM_LAUNCHER_PID';
export const TRIAL_EXIT_ENV = 'IM_TRIAL_EXIT';
/** `<pid>:<start ticks>` of the bridge that accepts for this process while it starts (bridge.ts). */
export const BRIDGE_ENV = 'IM_BRIDGE';

/** The file descriptor a launched manager finds its listening socket on. */
export const LISTEN_FD = 3;

export interface Launch {
  /** The inherited listening socket to serve on, or undefined: bind one. */
  listenFd: number | undefined;
  /** fd 0 is the same socket: it will still be open after an exec (see launcher-scripts.ts). */
  carrier: boolean;
  /** The launcher this manager runs under, or null. */
  launcherPid: number | null;
  /** How the last build on trial ended, when the launcher restarted the previous one. */
  trialExit: string | undefined;
  /** Why the listening socket will not outlive an upgrade, for a warning once logging is up. */
  warning: string | undefined;
  /** The bridge to end once this process accepts, after an exec (see bridge.ts), or null. */
  bridge: BridgeRef | null;
}

/** A process, told apart from a later one given the same PID by its start time. */
export interface BridgeRef {
  pid: number;
  startTicks: number;
}

/** BRIDGE_ENV's value for `bridge`, and back (null when it is not one). */
export function formatBridge(bridge: BridgeRef): string {
  return `${bridge.pid}:${bridge.startTicks}`;
}

export function parseBridge(text: string | undefined): BridgeRef | null {
  const match = /^(\d+):(\d+)$/.exec(text ?? '');
  return match ? { pid: Number(match[1]), startTicks: Number(match[2]) } : null;
}

/** True when this Node can replace its process image (Node >= 22.15 / 23.11 on POSIX). */
export function canExec(): boolean {
  return typeof process.execve === 'function';
}

/** No launcher, nothing inherited: what tests that start the manager in-process get. */
export const PLAIN_LAUNCH: Launch = {
  listenFd: undefined,
  carrier: false,
  launcherPid: null,
  trialExit: undefined,
  warning: undefined,
  bridge: null,
};

/** The socket behind one of our file descriptors ("socket:[inode]"), or null when it is not one. */
function socketOn(fd: number): string | null {
  try {
    const link = readlinkSync(`/proc/self/fd/${fd}`);
    return link.startsWith('socket:') ? link : null;
  } catch {
    return null;
  }
}

/**
 * Reads (and removes from the environment, so that no child of ours inherits them) the
 * variables a launcher or an exec step set. The descriptor named must be a socket; that it
 * listens on the configured address is checked once the server has taken it (listenMatches).
 */
export function takeLaunch(env: NodeJS.ProcessEnv = process.env): Launch {
  const fdText = env[LISTEN_FD_ENV];
  const launcherText = env[LAUNCHER_PID_ENV];
  const trialExit = env[TRIAL_EXIT_ENV];
  const bridge = parseBridge(env[BRIDGE_ENV]);
  delete env[LISTEN_FD_ENV];
  delete env[LAUNCHER_PID_ENV];
  delete env[TRIAL_EXIT_ENV];
  delete env[BRIDGE_ENV];
  const launcherPid = launcherText !== undefined && /^\d+$/.test(launcherText) ? Number(launcherText) : null;
  const plain = { ...PLAIN_LAUNCH, launcherPid, trialExit, bridge };
  if (fdText === undefined) return plain;
  const fd = Number(fdText);
  let isSocket = false;
  try {
    isSocket = /^\d+$/.test(fdText) && fstatSync(fd).isSocket();
  } catch {
    // not open
  }
  if (!isSocket) return { ...plain, warning: `${LISTEN_FD_ENV}=${fdText} is not a socket; binding a new one` };
  const socket = socketOn(fd);
  return { ...plain, listenFd: fd, carrier: socket !== null && socketOn(0) === socket };
}

/** Whether a server that took the inherited socket listens where --listen says. */
export function listenMatches(address: AddressInfo, listen: { host: string; port: number }): boolean {
  if (listen.port !== 0 && address.port !== listen.port) return false;
  return isIP(listen.host) === 0 || address.address === listen.host.toLowerCase();
}

/** The first executable `name` on PATH (or in /usr/bin, /bin). */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter(Boolean);
  for (const dir of [...dirs, '/usr/bin', '/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Replaces this process (same PID) with the launcher, holding a socket bound to `listen`,
 * which then runs this same command line as its child. Returns only when that cannot be
 * done here: with the reason, or undefined when there is nothing to upgrade anyway (run
 * from source). The manager then binds the port itself.
 */
export async function relaunchHoldingSocket(
  listen: { host: string; port: number },
  entry: string | undefined = process.argv[1],
): Promise<string | undefined> {
  if (!isBundlePath(entry)) return undefined;
  if (!canExec()) return `this Node (${process.version}) has no process.execve`;
  const perl = findExecutable('perl', process.env);
  const sh = findExecutable('sh', process.env);
  if (perl === undefined || sh === undefined)
    return `no ${perl === undefined ? 'perl' : 'sh'} on PATH to hold the socket`;
  // The resolver is loaded only for a host name: this runs before the port is served.
  const host =
    isIP(listen.host) !== 0 ? listen.host : (await (await import('node:dns/promises')).lookup(listen.host)).address;
  const installed = installedPathFor(entry);
  const node = [process.execPath, ...process.execArgv, installed, ...process.argv.slice(2)];
  process.execve!(
    perl,
    [
      'perl',
      '-e',
      BIND_SCRIPT,
      host,
      String(listen.port),
      sh,
      '-c',
      LAUNCHER_SCRIPT,
      'instance-manager-launcher',
      recordPath(installed),
      ...node,
    ],
    process.env,
  );
  return 'process.execve returned';
}
