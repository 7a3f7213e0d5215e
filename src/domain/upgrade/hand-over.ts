// The last steps of an upgrade, after the 202 has been sent: stop serving, let in-flight
// requests finish (briefly), flush the log, let go of Redis without stopping it, and
// replace this process image with the new bundle: same PID, same arguments, same
// environment. redis-server is not our child (see the supervisor), so it never notices.
import type { Server } from 'node:http';
import { pino, type Logger } from 'pino';

/** In-flight requests get this long to finish before their connections are cut. */
const DRAIN_MS = 1000;

export interface HandOverSteps {
  servers: readonly Server[];
  log: Logger;
  /** Stops supervision timers and closes Redis connections, leaving redis-server running. */
  detach(): Promise<void>;
  bundlePath: string;
}

/** True when this Node can replace its process image (Node >= 22.15 / 23.11 on POSIX). */
export function canExec(): boolean {
  return typeof process.execve === 'function';
}

/** The argv the new image starts with: same Node flags, the bundle, the same command line. */
export function execArgv(bundlePath: string): string[] {
  return [process.execPath, ...process.execArgv, bundlePath, ...process.argv.slice(2)];
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const drained = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), DRAIN_MS).unref()),
  ]);
  if (!drained) server.closeAllConnections();
  await closed;
}

/**
 * Writes out what the logger still holds. pino's default destination writes asynchronously
 * and exec discards pending writes (flush(cb) alone was seen to lose lines), so the
 * destination's flushSync is called when it has one.
 */
export async function flushLog(log: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    log.flush(() => resolve());
    setTimeout(resolve, 500).unref();
  });
  const destination = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { flushSync?: () => void } | undefined;
  try {
    destination?.flushSync?.();
  } catch {
    // Nothing left to write, or stdout is gone: nothing more can be done.
  }
}

/** Never returns when it succeeds: the process becomes the new bundle. */
export async function handOver(steps: HandOverSteps): Promise<void> {
  const argv = execArgv(steps.bundlePath);
  await Promise.all(steps.servers.map(closeServer));
  await steps.detach();
  steps.log.info({ argv: argv.length, bundle: steps.bundlePath }, 'exec of the new build');
  await flushLog(steps.log);
  process.execve!(process.execPath, argv, process.env);
}
