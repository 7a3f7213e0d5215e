// Runs a new bundle's self-test under this same Node before it is tried: the new build loads
// every one of its modules and parses this manager's own configuration (the same flags and
// environment), without binding a port or touching Redis. A file that is not JavaScript,
// that crashes, that cannot read the configuration, that exits non-zero or that hangs is
// never exec'd. What it said goes into the 422's detail: its first meaningful line, with
// file paths and stack frames left out (they name the staging file and say nothing useful).
import { spawn } from 'node:child_process';
import { UnprocessableError } from '../../errors.js';

/** Output kept while the child runs: enough to find the line that explains a failure. */
const OUTPUT_LIMIT = 8000;
/** Longest line quoted in a problem detail. */
const LINE_LIMIT = 300;

export interface SelfTestResult {
  /** The version the new build reports (first line of its output). */
  version: string;
}

/** A line that only says where something happened: a file location, a stack frame, a caret. */
function isLocation(line: string): boolean {
  return (
    /^(file:\/\/|\/|node:)\S*:\d+/.test(line) ||
    /^at\s/.test(line) ||
    /^\^+$/.test(line) ||
    /^Node\.js v\d/.test(line) ||
    /^Emitted '/.test(line)
  );
}

/** File URLs and absolute paths replaced by a placeholder. */
function withoutPaths(line: string): string {
  return line.replace(/file:\/\/\S+/g, '<file>').replace(/(^|[\s'"(=])\/[^\s'"()]+/g, '$1<path>');
}

/**
 * The one line of a failed child's output that says what went wrong: its error message
 * (`SyntaxError: …`, our own `instance-manager: …`), else its first line that is not a
 * location; without paths, bounded.
 */
export function failureLine(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const error = lines.find(
    (line) => /^([A-Z]\w*Error|Error)\b( \[[A-Z0-9_]+\])?:/.test(line) || /^instance-manager:/.test(line),
  );
  const line = error ?? lines.find((l) => !isLocation(l));
  if (line === undefined) return '(no output)';
  const clean = withoutPaths(line);
  return clean.length > LINE_LIMIT ? `${clean.slice(0, LINE_LIMIT)}…` : clean;
}

/**
 * `node <file> self-test <runArgs…>` with this process's Node flags and `env`.
 * Resolves with the version it reports, or throws UnprocessableError (422).
 */
export async function selfTest(
  file: string,
  options: { timeoutMs: number; runArgs: string[]; env: NodeJS.ProcessEnv },
): Promise<SelfTestResult> {
  const { timeoutMs } = options;
  const child = spawn(process.execPath, [...process.execArgv, file, 'self-test', ...options.runArgs], {
    // stdin is never inherited: under the launcher it is the HTTP listening socket.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  let output = '';
  let stdout = '';
  const collect = (into: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (into === 'stdout' && stdout.length < OUTPUT_LIMIT) stdout += text;
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
  const said = failureLine(output);
  if (signal !== null) {
    const why = Date.now() - started >= timeoutMs ? `did not finish within ${timeoutMs} ms` : `was killed by ${signal}`;
    throw new UnprocessableError(`self-test failed: the new build ${why}; it said: ${said}`);
  }
  if (code !== 0) {
    throw new UnprocessableError(`self-test failed: the new build exited ${code}; it said: ${said}`);
  }
  const version = stdout.trim().split('\n', 1)[0].trim();
  if (version === '' || version.length > 200) {
    throw new UnprocessableError(`self-test failed: the new build reported no version; it said: ${said}`);
  }
  return { version };
}
