// The `restore` command line: `--from s3://bucket/key --data-dir DIR [--force]` plus the
// --s3-* flags of `run` (endpoint, region, path style; the bucket is taken from --from).
// Exit codes: 0 restored, 1 failed (storage, integrity), 2 bad usage, 3 data present and no
// --force. Every flag also reads an environment variable (IM_RESTORE_FROM, IM_RESTORE_FORCE).
import { buildConfig, parseArgs } from '../../config/config.js';
import { ConfigError, messageOf } from '../../errors.js';
import { restoreBackup, RestoreError } from './restore.js';

export const RESTORE_EXIT = { restored: 0, failed: 1, usage: 2, existingData: 3 } as const;

interface RestoreArgs {
  from: string | undefined;
  force: boolean;
  rest: string[];
}

/** Takes --from and --force out; the rest are the shared flags parsed by config.ts. */
function splitRestoreArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RestoreArgs {
  let from = env.IM_RESTORE_FROM || undefined;
  let force = ['1', 'true', 'yes'].includes(env.IM_RESTORE_FORCE ?? '');
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--force') force = true;
    else if (arg.startsWith('--from=')) from = arg.slice('--from='.length);
    else if (arg === '--from') {
      from = argv[++i];
      if (from === undefined) throw new ConfigError('--from needs a value');
    } else rest.push(arg);
  }
  return { from, force, rest };
}

export async function restoreCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  err: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<number> {
  let options;
  try {
    const args = splitRestoreArgs(argv, env);
    if (!args.from) throw new ConfigError('--from s3://bucket/key is required');
    const raw = parseArgs(args.rest, env);
    const bucket = /^s3:\/\/([^/]+)\//.exec(args.from)?.[1];
    if (!bucket) throw new ConfigError(`--from: ${JSON.stringify(args.from)} is not an s3://bucket/key location`);
    const config = buildConfig({ ...raw, s3Bucket: bucket });
    options = { from: args.from, dataDir: config.dataDir, force: args.force, s3: config.s3! };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`instance-manager restore: ${e.message}`);
    return RESTORE_EXIT.usage;
  }
  try {
    const result = await restoreBackup(options);
    out(JSON.stringify({ restored: true, from: options.from, dataDir: options.dataDir, ...result }));
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
