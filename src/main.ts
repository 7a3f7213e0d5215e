#!/usr/bin/env node
// The command line: `instance-manager run …`, `instance-manager restore …`,
// `instance-manager --version`. Bad configuration is reported before anything starts.
import { buildConfig, parseArgs } from './config/config.js';
import { ConfigError } from './errors.js';
import { MANAGER_VERSION } from './version.js';

// The server and the restore command are loaded only when asked for: `--version` (which an
// upgrade's self-test runs) then starts in a fraction of the time and memory.

const USAGE = `usage:
  instance-manager run --listen 0.0.0.0:8080 --data-dir ./data --redis-port 6379 --token-file FILE
      [--initial-role replica|primary] [--max-lag-seconds 10] [--redis-url redis://host:port]
      [--redis-password-file FILE] [--redis-config extra.conf] [--redis-server BINARY]
      [--s3-endpoint URL --s3-bucket B --s3-prefix P --s3-region R --s3-path-style]
      [--backup-retention-count N] [--backup-retention-days D]
      [--probe-timeout-ms 1000] [--shutdown-grace-seconds 25] [--log-level info]
      [--update-max-bytes 67108864] [--update-self-test-timeout-ms 10000]
  instance-manager restore --from s3://bucket/prefix/latest --data-dir ./data [--force|--if-empty] [--s3-… flags]
      --from s3://bucket/prefix --backup-id ID    a given backup (or --from its s3://…/<id>/ location)
      [--redis-server BINARY] [--redis-config F] [--load-check-timeout-seconds 1800]
      the files are loaded by a temporary redis-server before they are installed
      exit 0 restored (or data present with --if-empty), 1 failed (nothing installed), 2 bad usage,
      3 data present without --force
  instance-manager --version
Every flag also reads an IM_* environment variable (--data-dir: IM_DATA_DIR).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${MANAGER_VERSION}\n`);
    return 0;
  }
  if (command === '--help' || command === '-h' || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'run') {
    const config = buildConfig(parseArgs(rest, process.env));
    // Bind the port first: connections made while the rest loads wait instead of failing.
    const { listenEarly } = await import('./http/early-server.js');
    const early = await listenEarly(config.listen);
    const [{ createLogger }, { run }] = await Promise.all([import('./log.js'), import('./server.js')]);
    await run(config, createLogger(config.logLevel), early);
    return -1; // keep running
  }
  if (command === 'restore') {
    const { restoreCommand } = await import('./domain/backup/restore-cli.js');
    return restoreCommand(rest, process.env);
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
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`instance-manager: ${err instanceof Error ? err.stack : String(err)}\n`);
    // Timers and sockets opened before the failure would keep a half-started manager alive.
    process.exit(1);
  },
);
