// The last steps of an upgrade, after the 202 has been sent: stop serving, let in-flight
// requests finish (briefly), flush the log, let go of Redis without stopping it, and
// replace this process image with the new bundle: same PID, same arguments, same
// environment. redis-server is not our child (see the supervisor), so it never notices.
import type { Server, ServerResponse } from 'node:http';
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

/**
 * Stops accepting, then lets each connection end after the request it is serving: new
 * responses say `Connection: close`, and idle connections are closed as they appear.
 * Whatever is still busy after DRAIN_MS is cut.
 */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.prependListener('request', (_req, res: ServerResponse) => res.setHeader('Connection', 'close'));
  const deadline = Date.now() + DRAIN_MS;
  let done = false;
  void closed.then(() => (done = true));
  while (!done && Date.now() < deadline) {
    server.closeIdleConnections();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!done) server.closeAllConnections();
  await closed;
}

/** pino's default destination (sonic-boom), as far as flushing it goes. */
interface LogDestination {
  /** True while an asynchronous write is on its way to the fd. */
  _writing?: boolean;
  flushSync?: () => void;
}

/**
 * Writes out what the logger still holds. pino's default destination writes asynchronously
 * and its flush(cb) returns at once (minLength 0); an exec discards a pending write. So: wait
 * (briefly) for the write in flight, then write the rest synchronously.
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

/** Never returns when it succeeds: the process becomes the new bundle. */
export async function handOver(steps: HandOverSteps): Promise<void> {
  const argv = execArgv(steps.bundlePath);
  await Promise.all(steps.servers.map(closeServer));
  await steps.detach();
  steps.log.info({ argv: argv.length, bundle: steps.bundlePath }, 'exec of the new build');
  await flushLog(steps.log);
  process.execve!(process.execPath, argv, process.env);
}
