// `instance-manager run`: open the instance (adopting or starting redis-server), serve the
// API, and on SIGTERM/SIGINT stop taking writes, shut Redis down within the grace period
// and exit 0.
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { Instance } from './domain/instance.js';
import { endBridge } from './domain/upgrade/bridge.js';
import { loadUpdateKey } from './domain/upgrade/bundle-signature.js';
import { flushLog } from './domain/upgrade/exec.js';
import { PLAIN_LAUNCH, type Launch } from './domain/upgrade/launch.js';
import { settleHeap } from './heap.js';
import { createRequestListener } from './http/app.js';
import { listenEarly, type EarlyServer } from './http/early-server.js';
import { TlsTransport } from './http/tls.js';
import { onTermination } from './termination.js';

export interface RunningManager {
  instance: Instance;
  server: Server;
  port: number;
  /** Stops serving and shuts Redis down (SIGTERM path). */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  /** The server, bound by the caller as soon as it could (see early-server.ts); else bound here. */
  early?: EarlyServer;
  /** How the process was launched (see domain/upgrade/launch.ts); tests start plainly. */
  launch?: Launch;
  /** The `run` flags, for a new build's self-test. */
  runArgs?: readonly string[];
}

/** How often a manager under the launcher checks that the launcher is still its parent. */
const LAUNCHER_WATCH_MS = 200;

export async function startManager(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningManager> {
  const early =
    options.early ?? (await listenEarly(config.listen, { tls: config.tls && TlsTransport.load(config.tls) }));
  const launch = options.launch ?? PLAIN_LAUNCH;
  const { server, port, tls } = early;
  log.info(
    {
      listen: `${config.listen.host}:${port}`,
      scheme: tls ? 'https' : 'http',
      inherited: launch.listenFd !== undefined,
      launcher: launch.launcherPid,
    },
    'listening',
  );
  if (launch.warning !== undefined) log.warn(launch.warning);
  tls?.watch(log.child({ module: 'tls' }));
  let instance: Instance;
  try {
    const updateKey = config.updatePublicKeyFile === undefined ? null : await loadUpdateKey(config.updatePublicKeyFile);
    if (updateKey === null) {
      log.warn(
        'updates are unsigned: PUT /v1/update installs any build sent with the operator token and a matching Content-Digest; set --update-public-key-file to require a signature',
      );
    } else {
      log.info({ fingerprint: updateKey.fingerprint, algorithm: updateKey.algorithm }, 'updates must be signed');
    }
    instance = await Instance.open(config, log, tls);
    await instance.upgrader.start({ launch, updateKey, runArgs: options.runArgs ?? [] });
    instance.upgrader.serveOn(early);
    early.attach(await createRequestListener(instance));
    // Serving now: the bridge that accepted through the exec (if any) can go. On a failure
    // it stays, for the build the launcher starts instead (it ends by itself).
    endBridge(launch.bridge);
  } catch (err) {
    early.fail();
    throw err;
  }
  log.info('serving');
  let stopping: Promise<void> | undefined;
  // A new build on trial becomes the installed one once it answers its own liveness probe.
  void instance.upgrader.confirmWhenServing(
    async () => (await early.request('/healthz')) === 200,
    () => stopping !== undefined,
  );
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

export async function run(config: Config, log: Logger, options: StartOptions = {}): Promise<void> {
  const manager = await startManager(config, log, options);
  settleHeap();
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal (a terminal's Ctrl-C reaches the launcher and us both) changes nothing.
    log.info({ signal }, 'received signal');
    manager.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  onTermination(onSignal);
  const launcher = options.launch?.launcherPid ?? null;
  if (launcher !== null) {
    // The launcher holds our socket and takes the previous build back after a failed
    // upgrade; if it is killed, we go too (Redis keeps running, the next start adopts it).
    setInterval(() => {
      if (process.ppid === launcher) return;
      log.fatal({ launcher }, 'the launcher is gone; exiting (redis-server keeps running)');
      void flushLog(log).then(() => process.exit(1));
    }, LAUNCHER_WATCH_MS).unref();
  }
}
