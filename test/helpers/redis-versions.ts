// The real servers of the version matrix: ../shared/redis-versions/<name>/{redis,valkey}-server
// next to the repository (CI and developers' machines). Absent on a user's machine, where the
// tests that need them say so in one line and skip.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { atLeast, serverFromVersionOutput, type RedisServer } from '../../src/redis/capabilities.js';

export const VERSIONS_DIR = join(import.meta.dirname, '../../../shared/redis-versions');

export interface VersionedServer {
  /** The folder's name: redis-6.0.20, valkey-8.0.1. */
  name: string;
  server: string;
  cli: string;
  /** What the server says it is (`--version`). */
  identity: RedisServer;
  /** DEBUG (DIGEST) needs `enable-debug-command` from 7.0 on; older servers refuse the directive. */
  debugDirective: string[];
}

/** Every server in the folder, oldest first; null when the folder is absent. */
export function versionedServers(): VersionedServer[] | null {
  if (!existsSync(VERSIONS_DIR)) return null;
  const found: VersionedServer[] = [];
  for (const name of readdirSync(VERSIONS_DIR)) {
    const dir = join(VERSIONS_DIR, name);
    const product = ['redis', 'valkey'].find((p) => existsSync(join(dir, `${p}-server`)));
    if (!product) continue;
    const server = join(dir, `${product}-server`);
    const identity = serverFromVersionOutput(execFileSync(server, ['--version'], { encoding: 'utf8' }));
    if (!identity) throw new Error(`${server} --version names no Redis or Valkey version`);
    found.push({
      name,
      server,
      cli: join(dir, `${product}-cli`),
      identity,
      debugDirective: atLeast(identity.redisVersion, '7.0') ? ['enable-debug-command local'] : [],
    });
  }
  // Redis by version, then Valkey by its own.
  const key = (v: VersionedServer) =>
    `${v.identity.name === 'valkey' ? 1 : 0}:${v.identity.version
      .split('.')
      .map((n) => n.padStart(4, '0'))
      .join('.')}`;
  return found.sort((a, b) => key(a).localeCompare(key(b)));
}
