// Which server a redis-server binary is: its name and version from `<binary> --version`,
// learned before the first redis.conf for it is written (directives differ by version) and
// then remembered. The memory is keyed by the file itself (device, inode, size, mtime), so a
// binary replaced in place by a package upgrade is asked again at the next start. A binary
// that is missing, is not Redis or Valkey, or is older than the oldest supported is a bad
// --redis-server (ConfigError: the manager stops at start with a message naming it).
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { checkSupported, serverFromVersionOutput, type RedisServer } from '../../redis/capabilities.js';
import { ConfigError, messageOf } from '../../errors.js';

const VERSION_TIMEOUT_MS = 5000;
const known = new Map<string, Promise<RedisServer>>();

/** The server `binary` is; rejects with a message for the log when it cannot be run or is too old. */
export async function identifyServer(binary: string): Promise<RedisServer> {
  const path = await resolveExecutable(binary);
  const { dev, ino, size, mtimeMs } = await stat(path);
  const key = `${path}\0${dev}:${ino}:${size}:${mtimeMs}`;
  let identified = known.get(key);
  if (!identified) {
    identified = askVersion(path, binary);
    known.set(key, identified);
    // A failure is not remembered: the next start asks again.
    identified.catch(() => known.delete(key));
  }
  return identified;
}

async function askVersion(path: string, binary: string): Promise<RedisServer> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(path, ['--version'], { timeout: VERSION_TIMEOUT_MS }, (err, stdout) => {
      if (!err) return resolve(stdout);
      // No answer in time may be a loaded machine; a failing answer is not a Redis.
      const failed = `${binary} --version failed: ${messageOf(err)}`;
      reject(err.killed ? new Error(failed) : new ConfigError(`--redis-server: ${failed}`));
    });
  });
  const server = serverFromVersionOutput(output);
  if (!server) {
    throw new ConfigError(
      `--redis-server: ${binary} --version did not name a Redis or Valkey version (${JSON.stringify(output.slice(0, 100))})`,
    );
  }
  try {
    checkSupported(server, binary);
  } catch (err) {
    throw new ConfigError(`--redis-server: ${messageOf(err)}`);
  }
  return server;
}

/** `binary` itself when it has a slash, else the first executable of that name on PATH. */
async function resolveExecutable(binary: string): Promise<string> {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', binary));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new ConfigError(
    `--redis-server: ${binary} was not found${binary.includes('/') ? ' or is not executable' : ' on PATH'}`,
  );
}
