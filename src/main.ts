#!/usr/bin/env node
// The command line: `instance-manager run …`, `instance-manager restore …`,
// `instance-manager --version`. Bad configuration is reported before anything starts.
import type { AddressInfo } from 'node:net';
import { buildConfig, parseArgs } from './config/config.js';
import { ConfigError } from './errors.js';
import { catchTermination } from './termination.js';
import { MANAGER_VERSION } from './version.js';

// The server and the restore command are loaded only when asked for: `--version` (which an
// upgrade's self-test runs) then starts in a fraction of the time and memory.

const USAGE = `usage:
  instance-manager run --listen 0.0.0.0:8080 --data-dir ./data --redis-port 6379 --token-file FILE
      [--initial-role replica|primary] [--max-lag-seconds 10] [--redis-url redis://host:port]
      [--redis-password-file FILE] [--redis-config extra.conf] [--redis-server BINARY]
      [--s3-endpoint URL --s3-bucket B --s3-prefix P --s3-region R --s3-path-style]
      [--backup-retention-count N] [--backup-retention-days D]
      [--on-primary-restart hold|resume] [--primary-lease-seconds 0]
      [--probe-timeout-ms 1000] [--shutdown-grace-seconds 25] [--log-level info]
      [--update-max-bytes 67108864] [--update-self-test-timeout-ms 10000]
      [--update-stall-timeout-seconds 10] [--update-confirm-timeout-seconds 60]
      [--update-public-key-file FILE]
      [--tls-cert-file FILE --tls-key-file FILE [--tls-client-ca-file FILE [--tls-client-name NAME]]]
      [--metrics-compat redis_exporter]
  instance-manager restore --from s3://bucket/prefix/latest --data-dir ./data [--force|--if-empty] [--s3-… flags]
      --from s3://bucket/prefix --backup-id ID    a given backup (or --from its s3://…/<id>/ location)
      [--redis-server BINARY] [--redis-config F] [--load-check-timeout-seconds 1800]
      the files are loaded by a temporary redis-server before they are installed
      exit 0 restored (or data present with --if-empty), 1 failed (nothing installed), 2 bad usage,
      3 data present without --force
  instance-manager self-test [run flags…]
      what a running manager asks of a new build before trying it: loads every module and
      parses the configuration, binds nothing, touches no Redis; prints the version
  instance-manager --version
  (instance-manager bridge [run flags…] is internal: it accepts for the manager during an upgrade's exec)
Every flag also reads an IM_* environment variable (--data-dir: IM_DATA_DIR).`;

/** The manager past its listening socket: the logger and the server (the bulk of the bundle). */
async function loadRest() {
  const [{ createLogger }, { run }] = await Promise.all([import('./log.js'), import('./server.js')]);
  return { createLogger, run };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${MANAGER_VERSION}\n`);
    return 0;
  }
  if (command === '--help' || command === '-h' || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'run') {
    const config = buildConfig(parseArgs(args, process.env));
    // Before anything starts: a stop during start-up is acted on once the manager is up.
    catchTermination(config.shutdownGraceMs);
    // The listening socket comes first. Handed over by the launcher or an exec, it has
    // been listening all along; otherwise this process becomes the launcher, which binds
    // it and runs this command line again under it (domain/upgrade/launch.ts). Where that
    // cannot be done, the port is bound here, before the rest loads: connections made while
    // the manager starts wait instead of failing.
    const { listenMatches, relaunchHoldingSocket, takeLaunch } = await import('./domain/upgrade/launch.js');
    let launch = takeLaunch();
    if (launch.listenFd === undefined && launch.warning === undefined) {
      const why = await relaunchHoldingSocket(config.listen);
      if (why !== undefined) {
        launch = {
          ...launch,
          warning: `the listening socket will not outlive an upgrade (${why}): connections are refused while a new build starts, and one that fails is rolled back only when the container restarts`,
        };
      }
    }
    // After an exec with a bridge (domain/upgrade/bridge.ts), the bridge accepts until this
    // process serves: the rest of the manager is loaded first, while its loop may be held,
    // and nothing accepted here waits behind that.
    const loaded = launch.bridge !== null ? await loadRest() : undefined;
    // The TLS files are checked before the port is served: a bad pair is a configuration error.
    const tls = config.tls && (await import('./http/tls.js')).TlsTransport.load(config.tls);
    const [{ listenEarly }, { earlyLiveness }] = await Promise.all([
      import('./http/early-server.js'),
      import('./http/early-probes.js'),
    ]);
    const answerEarly = earlyLiveness(config);
    let early = await listenEarly(config.listen, { fd: launch.listenFd, answerEarly, tls });
    if (launch.listenFd !== undefined && !listenMatches(early.server.address() as AddressInfo, config.listen)) {
      const { address, port } = early.server.address() as AddressInfo;
      early.server.close();
      launch = {
        ...launch,
        listenFd: undefined,
        carrier: false,
        warning: `the inherited socket listens on ${address}:${port}, not on --listen; bound a new one`,
      };
      early = await listenEarly(config.listen, { answerEarly, tls });
    }
    // Connections that waited in the backlog through an exec: a liveness probe among them is
    // answered now (answerEarly), before the rest of the manager loads and holds the loop.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    const { createLogger, run } = loaded ?? (await loadRest());
    await run(config, createLogger(config.logLevel), { early, launch, runArgs: args });
    return -1; // keep running
  }
  if (command === 'self-test') {
    const { selfTestCommand } = await import('./domain/upgrade/self-test-command.js');
    return selfTestCommand(args, process.env);
  }
  if (command === 'bridge') {
    const { bridgeCommand } = await import('./http/bridge-server.js');
    return bridgeCommand(args, process.env);
  }
  if (command === 'restore') {
    const { restoreCommand } = await import('./domain/backup/restore-cli.js');
    return restoreCommand(args, process.env);
  }
  process.stderr.write(`instance-manager: unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`instance-manager: invalid configuration: ${err.message}\n`);
      // Found after start-up began (--redis-server): the port and a Redis client are open.
      process.exit(2);
    }
    process.stderr.write(`instance-manager: ${err instanceof Error ? err.stack : String(err)}\n`);
    // Timers and sockets opened before the failure would keep a half-started manager alive.
    process.exit(1);
  },
);
