// `instance-manager run`: open the instance (adopting or starting redis-server), serve the
// API, and on SIGTERM/SIGINT stop taking writes, shut Redis down within the grace period
// and exit 0.
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { Instance } from './domain/instance.js';
import { createRequestListener } from './http/app.js';
import { listenEarly, type EarlyServer } from './http/early-server.js';
import { TlsTransport } from './http/tls.js';

export interface RunningManager {
  instance: Instance;
  server: Server;
  port: number;
  /** Stops serving and shuts Redis down (SIGTERM path). */
  shutdown(): Promise<void>;
}

/**
 * Opens the instance and serves it on `early` (bound by the caller as soon as it could,
 * see early-server.ts), or on a server bound here.
 */
export async function startManager(config: Config, log: Logger, early?: EarlyServer): Promise<RunningManager> {
  early ??= await listenEarly(config.listen, config.tls && TlsTransport.load(config.tls));
  const { server, port, tls } = early;
  log.info({ listen: `${config.listen.host}:${port}`, scheme: tls ? 'https' : 'http' }, 'listening');
  tls?.watch(log.child({ module: 'tls' }));
  let instance: Instance;
  try {
    instance = await Instance.open(config, log, tls);
    instance.updater.serveOn(server);
    early.attach(await createRequestListener(instance));
  } catch (err) {
    early.fail();
    throw err;
  }
  log.info('serving');
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      log.info('shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await instance.shutdown();
      server.closeAllConnections();
      await closed;
      log.info('shut down');
    })();
    return stopping;
  };
  return { instance, server, port, shutdown };
}

export async function run(config: Config, log: Logger, early?: EarlyServer): Promise<void> {
  const manager = await startManager(config, log, early);
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'received signal');
    manager.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
