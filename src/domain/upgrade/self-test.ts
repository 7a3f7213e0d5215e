// Runs a new bundle with `--version` under this same Node before it is installed: a file
// that is not JavaScript, that crashes, that exits non-zero or that hangs never replaces
// the running one. Its output goes into the 422's detail so the operator sees why.
import { spawn } from 'node:child_process';
import { UnprocessableError } from '../../errors.js';

/** Output kept for the problem detail: enough for a stack trace's head. */
const OUTPUT_LIMIT = 2000;

export interface SelfTestResult {
  /** What the bundle printed for --version (first line, trimmed). */
  version: string;
}

export async function selfTest(file: string, timeoutMs: number): Promise<SelfTestResult> {
  const child = spawn(process.execPath, [file, '--version'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  let output = '';
  let stdout = '';
  const collect = (into: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (into === 'stdout') stdout += text;
    if (output.length < OUTPUT_LIMIT) output += text;
  };
  child.stdout.on('data', collect('stdout'));
  child.stderr.on('data', collect('stderr'));
  const started = Date.now();
  // 'exit' comes after the child was reaped: no zombie of ours survives into an exec. A
  // grandchild could hold the pipes open; they are cut shortly after the exit.
  child.once('exit', () => {
    setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
    }, 500).unref();
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });
  const shown = output.trim().slice(0, OUTPUT_LIMIT) || '(no output)';
  if (signal !== null) {
    const why = Date.now() - started >= timeoutMs ? `did not finish within ${timeoutMs} ms` : `was killed by ${signal}`;
    throw new UnprocessableError(`self-test failed: the new build ${why} running --version; output: ${shown}`);
  }
  if (code !== 0) {
    throw new UnprocessableError(`self-test failed: the new build exited ${code} running --version; output: ${shown}`);
  }
  const version = stdout.trim().split('\n', 1)[0].trim();
  if (version === '' || version.length > 200) {
    throw new UnprocessableError(`self-test failed: the new build printed no version for --version; output: ${shown}`);
  }
  return { version };
}
