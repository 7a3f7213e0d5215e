// `instance-manager run`: open the instance (adopting or starting redis-server), serve the
// API, and on SIGTERM/SIGINT stop taking writes, shut Redis down within the grace period
// and exit 0.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { Instance } from './domain/instance.js';
import { createRequestListener } from './http/app.js';

export interface RunningManager {
  instance: Instance;
  server: Server;
  port: number;
  /** Stops serving and shuts Redis down (SIGTERM path). */
  shutdown(): Promise<void>;
}

export async function startManager(config: Config, log: Logger): Promise<RunningManager> {
  const instance = await Instance.open(config, log);
  const server = createServer(await createRequestListener(instance));
  instance.updater.serveOn(server);
  // Probes should not be held up by slow clients; the kubelet and Prometheus reconnect.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ listen: `${config.listen.host}:${port}` }, 'listening');
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

export async function run(config: Config, log: Logger): Promise<void> {
  const manager = await startManager(config, log);
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
