// The exec at the end of an upgrade: what to exec (with the listening socket handed on when
// there is one to hand on) and the exec itself, after the log is flushed. Same PID, same
// arguments, same environment; redis-server is not our child (see the supervisor), so it
// never notices.
import { pino, type Logger } from 'pino';
import { EXEC_STEP } from './launcher-scripts.js';
import { findExecutable, LAUNCHER_PID_ENV, LISTEN_FD, LISTEN_FD_ENV, type Launch } from './launch.js';

export interface ExecTarget {
  file: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/** The argv the new image starts with: same Node flags, the bundle, the same command line. */
export function execArgv(bundlePath: string): string[] {
  return [process.execPath, ...process.execArgv, bundlePath, ...process.argv.slice(2)];
}

/**
 * What to exec: with the socket on fd 0, a shell step that copies it to fd 3 for the new
 * build (Node cannot dup); otherwise Node directly. The launcher's PID is passed on.
 */
export function execTarget(bundlePath: string, launch: Launch): ExecTarget {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (launch.launcherPid !== null) env[LAUNCHER_PID_ENV] = String(launch.launcherPid);
  const sh = launch.carrier ? findExecutable('sh') : undefined;
  if (sh === undefined) return { file: process.execPath, argv: execArgv(bundlePath), env };
  env[LISTEN_FD_ENV] = String(LISTEN_FD);
  return { file: sh, argv: ['sh', '-c', EXEC_STEP, 'instance-manager-exec', ...execArgv(bundlePath)], env };
}

/** pino's default destination (sonic-boom), as far as flushing it goes. */
interface LogDestination {
  /** True while an asynchronous write is on its way to the fd. */
  _writing?: boolean;
  flushSync?: () => void;
}

/**
 * Writes out what the logger still holds, before an exec or an exit discards it. The
 * manager's standard output is written synchronously (log.ts) and holds nothing; an
 * asynchronous destination (pino's default, a test's) may have a write in flight, and its
 * flush(cb) returns at once (minLength 0). So: wait (briefly) for the write in flight, then
 * write the rest synchronously.
 */
export async function flushLog(log: Logger): Promise<void> {
  const destination = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as LogDestination | undefined;
  const deadline = Date.now() + 500;
  while (destination?._writing === true && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 1));
  try {
    destination?.flushSync?.();
  } catch {
    // Nothing left to write, or stdout is gone: nothing more can be done.
  }
}

/** Never returns when it works: the process becomes `target`. */
export async function execInto(target: ExecTarget, log: Logger): Promise<never> {
  log.info({ argv: target.argv.length, file: target.file }, 'exec of the new build');
  await flushLog(log);
  process.execve!(target.file, target.argv, target.env);
  throw new Error('process.execve returned');
}
