// Runs `instance-manager restore` as its own process (from source via tsx), as an init
// container would, with the storage's credentials in the environment only.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { S3_KEY } from './storage.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runRestoreCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const main = join(import.meta.dirname, '../../../src/main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'restore', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: S3_KEY,
      AWS_SECRET_ACCESS_KEY: S3_KEY,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
