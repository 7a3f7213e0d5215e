// The `restore` command line:
//   --from s3://bucket/<prefix>/latest     the newest backup under the prefix whose metadata verifies
//   --from s3://bucket/<prefix> --backup-id ID
//   --from s3://bucket/<prefix>/<id>/       a backup's location (as GET /v1/backups shows it)
// with --data-dir DIR [--force | --if-empty] [--load-check-timeout-seconds N] plus the --s3-* flags of
// `run` (endpoint, region, path style; the bucket is taken from --from), --redis-server (the
// binary of the load check) and --redis-config (its `loadmodule` lines).
// `--if-empty` restores only into a data directory without Redis data and otherwise does nothing
// (exit 0): what an init container that runs at every pod start wants.
// Exit codes: 0 restored (or skipped with --if-empty), 1 failed (storage, integrity, load check;
// nothing installed), 2 bad usage, 3 data present and no --force. Every flag also reads an
// environment variable (IM_RESTORE_FROM, IM_RESTORE_BACKUP_ID, IM_RESTORE_FORCE,
// IM_RESTORE_IF_EMPTY, IM_RESTORE_LOAD_CHECK_TIMEOUT_SECONDS).
import { buildConfig, parseArgs } from '../../config/config.js';
import { ConfigError, messageOf } from '../../errors.js';
import { isBackupId } from './backup-record.js';
import { moduleLines } from './load-check.js';
import { restoreBackup, RestoreError, type RestoreOptions } from './restore.js';

export const RESTORE_EXIT = { restored: 0, failed: 1, usage: 2, existingData: 3 } as const;

/** How long the temporary redis-server may take to load the backup, by default. */
const DEFAULT_LOAD_CHECK_SECONDS = 1800;

interface RestoreArgs {
  from: string | undefined;
  backupId: string | undefined;
  force: boolean;
  ifEmpty: boolean;
  loadCheckSeconds: string | undefined;
  rest: string[];
}

/** Takes the restore's own flags out; the rest are the shared flags parsed by config.ts. */
function splitRestoreArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RestoreArgs {
  const args: RestoreArgs = {
    from: env.IM_RESTORE_FROM || undefined,
    backupId: env.IM_RESTORE_BACKUP_ID || undefined,
    force: ['1', 'true', 'yes'].includes(env.IM_RESTORE_FORCE ?? ''),
    ifEmpty: ['1', 'true', 'yes'].includes(env.IM_RESTORE_IF_EMPTY ?? ''),
    loadCheckSeconds: env.IM_RESTORE_LOAD_CHECK_TIMEOUT_SECONDS || undefined,
    rest: [],
  };
  const valued = {
    '--from': 'from',
    '--backup-id': 'backupId',
    '--load-check-timeout-seconds': 'loadCheckSeconds',
  } as const;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = (eq > 0 ? arg.slice(0, eq) : arg) as keyof typeof valued;
    if (arg === '--force') args.force = true;
    else if (arg === '--if-empty') args.ifEmpty = true;
    else if (flag in valued) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new ConfigError(`${flag} needs a value`);
      args[valued[flag]] = value;
    } else args.rest.push(arg);
  }
  return args;
}

async function restoreOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<RestoreOptions> {
  const args = splitRestoreArgs(argv, env);
  if (!args.from)
    throw new ConfigError('--from s3://bucket/key is required (s3://bucket/<prefix>/latest for the newest)');
  if (args.force && args.ifEmpty) throw new ConfigError('--force and --if-empty contradict each other');
  if (args.backupId !== undefined && !isBackupId(args.backupId))
    throw new ConfigError(`--backup-id: ${JSON.stringify(args.backupId)} is not a backup id`);
  const raw = parseArgs(args.rest, env);
  const bucket = /^s3:\/\/([^/]+)(\/|$)/.exec(args.from)?.[1];
  if (!bucket) throw new ConfigError(`--from: ${JSON.stringify(args.from)} is not an s3://bucket/key location`);
  const config = buildConfig({ ...raw, s3Bucket: bucket });
  const seconds = args.loadCheckSeconds ?? String(DEFAULT_LOAD_CHECK_SECONDS);
  if (!/^\d+$/.test(seconds) || Number(seconds) < 1 || Number(seconds) > 86_400)
    throw new ConfigError(`--load-check-timeout-seconds: ${JSON.stringify(seconds)} must be a whole number 1..86400`);
  let modules: string[];
  try {
    modules = await moduleLines(config.redisConfig);
  } catch (err) {
    throw new ConfigError(`--redis-config: ${messageOf(err)}`);
  }
  return {
    from: args.from,
    backupId: args.backupId,
    dataDir: config.dataDir,
    force: args.force,
    ifEmpty: args.ifEmpty,
    s3: config.s3!,
    loadCheck: { binary: config.redisServerBinary, modules, timeoutMs: Number(seconds) * 1000 },
  };
}

export async function restoreCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  err: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<number> {
  let options: RestoreOptions;
  try {
    options = await restoreOptions(argv, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`instance-manager restore: ${e.message}`);
    return RESTORE_EXIT.usage;
  }
  try {
    const result = await restoreBackup(options);
    out(JSON.stringify({ restored: !('skipped' in result), from: options.from, dataDir: options.dataDir, ...result }));
    return RESTORE_EXIT.restored;
  } catch (e) {
    if (!(e instanceof RestoreError)) {
      // Disk full, permissions…: still a failed restore, and nothing was installed.
      err(`instance-manager restore: ${messageOf(e)}`);
      return RESTORE_EXIT.failed;
    }
    err(`instance-manager restore: ${e.message}`);
    if (e.kind === 'usage') return RESTORE_EXIT.usage;
    return e.kind === 'existing-data' ? RESTORE_EXIT.existingData : RESTORE_EXIT.failed;
  }
}
