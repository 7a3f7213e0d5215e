// The bridge: a small process that accepts on the manager's listening socket while an exec
// replaces the manager. Without it, the connections that arrive between the drain and the
// new build's first accept wait in the kernel's backlog, and under load that is most of
// Node's start-up (0.4-0.8 s on two busy cores, bench/README.md): every liveness probe in
// that window waits as long. The running build starts the bridge from its own (trusted)
// bundle while the new build's self-test runs, and tells it to accept (accept()) just
// before its own drain, so from the drain on it is the bridge that accepts. Until then the
// running build serves every request itself: an update its self-test refuses never had a
// request taken by a bridge. The bridge answers what it truthfully can on its own and holds
// the rest for the new build (http/bridge-server.ts). The new build loads itself before it
// listens and ends the bridge once it serves (endBridge), so no connection waits behind its
// start-up; a bridge nobody ends (the new build died, the exec failed) stops by itself after
// a while (bridge-server.ts).
import { spawn } from 'node:child_process';
import { processStartTicks } from '../supervision/proc.js';
import { findExecutable, LISTEN_FD, LISTEN_FD_ENV, type BridgeRef, type Launch } from './launch.js';
import { BRIDGE_STEP } from './launcher-scripts.js';

/** What the bridge prints once it is loaded and waits to be told to accept. */
export const BRIDGE_READY = 'ready';
/** What tells a ready bridge to accept: the running build is about to drain. */
export const BRIDGE_ACCEPT_SIGNAL = 'SIGUSR2';
/** How long the running build waits for its bridge before it execs without one. */
const READY_TIMEOUT_MS = 5000;

export interface Bridge extends BridgeRef {
  /** From now on it accepts beside this process (connections in between wait in the backlog). */
  accept(): void;
  /** Ends it (it hands what it holds to whoever accepts next); a no-op once it is gone. */
  stop(): void;
}

/** `sig` to `ref`, when that process (same PID, same start time) still runs. */
function signal(ref: BridgeRef, sig: NodeJS.Signals = 'SIGTERM'): void {
  if (processStartTicks(ref.pid) !== ref.startTicks) return;
  try {
    process.kill(ref.pid, sig);
  } catch {
    // gone meanwhile
  }
}

/**
 * Starts `node <bundle> bridge <run flags>` on this process's listening socket and resolves
 * once it is ready to accept, or with null when there is no socket that outlives the exec to
 * share (no launcher, no shell) or the bridge did not come up in time: the exec then goes on
 * without one, its connections waiting in the backlog as before. Never rejects.
 */
export async function startBridge(bundle: string, runArgs: readonly string[], launch: Launch): Promise<Bridge | null> {
  const sh = launch.carrier ? findExecutable('sh') : undefined;
  if (sh === undefined) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, [LISTEN_FD_ENV]: String(LISTEN_FD) };
  // The compile cache is the new build's, being written by its self-test right now.
  delete env.NODE_COMPILE_CACHE;
  const child = spawn(
    sh,
    ['-c', BRIDGE_STEP, 'instance-manager-bridge', process.execPath, ...process.execArgv, bundle, 'bridge', ...runArgs],
    // fd 0 carries the listening socket (launcher-scripts.ts); the bridge gets it on fd 3.
    { stdio: ['ignore', 'pipe', 'inherit', 0], env },
  );
  const stdout = child.stdout;
  if (stdout === null) return null;
  return new Promise((resolve) => {
    let text = '';
    let pid: number | undefined;
    const settle = (bridge: Bridge | null) => {
      clearTimeout(timer);
      stdout.removeAllListeners('data');
      stdout.removeAllListeners('end');
      // The pipe's other end belongs to the bridge now: it writes nothing after "ready".
      stdout.destroy();
      resolve(bridge);
    };
    const giveUp = () => {
      if (pid !== undefined) {
        const startTicks = processStartTicks(pid);
        if (startTicks !== null) signal({ pid, startTicks });
      }
      settle(null);
    };
    const timer = setTimeout(giveUp, READY_TIMEOUT_MS);
    child.once('error', giveUp);
    // The bridge holds the pipe's other end: its end before "ready" means it exited.
    stdout.once('end', giveUp);
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n');
      // The shell's line (the bridge's PID) comes first; the bridge's own when it is ready.
      if (pid === undefined && /^\d+$/.test(lines[0]) && lines.length > 1) pid = Number(lines[0]);
      if (pid === undefined || !lines.slice(1).includes(BRIDGE_READY)) return;
      const startTicks = processStartTicks(pid);
      if (startTicks === null) return giveUp();
      const ref = { pid, startTicks };
      settle({ ...ref, accept: () => signal(ref, BRIDGE_ACCEPT_SIGNAL), stop: () => signal(ref) });
    });
  });
}

/** In the new build, once it serves: the bridge that stood in for it can go. */
export function endBridge(ref: BridgeRef | null): void {
  if (ref !== null) signal(ref);
}
