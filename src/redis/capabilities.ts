// Which Redis each feature of the manager needs: the one table that the redis.conf rendering,
// the commands and the docs follow (README's "Supported Redis versions" and the operations'
// descriptions in openapi.yaml are checked against it by test/unit/capabilities.test.ts).
// A server is known by its own name and version (Valkey 8.0.1) and by the Redis version it
// is compatible with, which is what features are judged by (Valkey 8 says redis_version 7.2.4).
import { RedisVersionError } from '../errors.js';
import { RedisReplyError } from './adapter.js';
import { field, parseInfo, type Info } from './info.js';

export type Version = readonly [major: number, minor: number, patch: number];

export interface RedisServer {
  name: 'redis' | 'valkey';
  /** The server's own version, as it reports it (8.0.1 for Valkey 8). */
  version: string;
  /** The Redis version it is compatible with; features are judged by this. */
  redisVersion: Version;
}

export interface FeatureNeed {
  /** The oldest Redis (compatible) version that has what the feature uses. */
  since: string;
  /** The feature, as the docs and problems name it. */
  what: string;
  /** What it uses that older servers lack. */
  uses: string;
  /** The contract's operations that need it (their descriptions say so). */
  operations: readonly string[];
}

/** The oldest Redis the manager runs or attaches to; older servers lack REPLICAOF. */
export const OLDEST_SUPPORTED = '5.0';

/** The Redis version Valkey reports as `redis_version` (Valkey forked from Redis 7.2.4). */
const VALKEY_REDIS_VERSION: Version = [7, 2, 4];

export const FEATURES = {
  replication: {
    since: '5.0',
    what: 'changing roles (promote, demote)',
    uses: 'REPLICAOF',
    operations: ['promote', 'demote'],
  },
  fence: {
    since: '6.2',
    what: "fencing (fence, unfence, and so the client's switchover())",
    uses: 'CLIENT PAUSE … WRITE and CLIENT UNPAUSE',
    operations: ['fence', 'unfence'],
  },
  aofBackup: {
    since: '7.0',
    what: 'an AOF backup (`type: aof`)',
    uses: 'the multi-part AOF directory: appendonlydir and its manifest',
    operations: ['startBackup'],
  },
  dualStackBind: {
    since: '6.2',
    what: 'an explicit dual-stack bind in the generated redis.conf',
    uses: '`bind * -::*`; older servers get no bind line, which listens on the same addresses',
    operations: [],
  },
} as const satisfies Record<string, FeatureNeed>;

export type Feature = keyof typeof FEATURES;

export function parseVersion(text: string): Version | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function atLeast(version: Version, minimum: string): boolean {
  const min = parseVersion(minimum);
  if (!min) throw new Error(`bad minimum version ${minimum}`);
  for (let i = 0; i < 3; i++) if (version[i] !== min[i]) return version[i] > min[i];
  return true;
}

/** `redis-server --version` / `valkey-server --version`: "Redis server v=7.0.15 sha=… malloc=…". */
export function serverFromVersionOutput(output: string): RedisServer | undefined {
  const m = /^(Redis|Valkey) server v=(\d+\.\d+\.\d+)/m.exec(output);
  if (!m) return undefined;
  const version = m[2];
  if (m[1] === 'Valkey') return { name: 'valkey', version, redisVersion: VALKEY_REDIS_VERSION };
  return { name: 'redis', version, redisVersion: parseVersion(version)! };
}

/** The server an INFO reply (with its Server section) comes from; undefined without one. */
export function serverFromInfo(info: Info): RedisServer | undefined {
  const redisVersion = parseVersion(field(info, 'redis_version') ?? '');
  if (!redisVersion) return undefined;
  const valkey = field(info, 'valkey_version');
  if (valkey !== undefined) return { name: 'valkey', version: valkey, redisVersion };
  return { name: 'redis', version: field(info, 'redis_version')!, redisVersion };
}

/** "Redis 6.0.20", "Valkey 8.0.1". */
export function describeServer(server: RedisServer): string {
  return `${server.name === 'valkey' ? 'Valkey' : 'Redis'} ${server.version}`;
}

export function supports(server: RedisServer, feature: Feature): boolean {
  return atLeast(server.redisVersion, FEATURES[feature].since);
}

/** The sentence the docs and the problems use: "fencing (…) needs Redis ≥ 6.2 (CLIENT PAUSE …)". */
export function needsSentence(feature: Feature): string {
  const need = FEATURES[feature];
  return `${need.what} needs Redis ≥ ${need.since} (${need.uses})`;
}

/** Throws RedisVersionError (501) when `server` is too old for `feature`. */
export function requireFeature(server: RedisServer, feature: Feature): void {
  if (!supports(server, feature)) {
    throw new RedisVersionError(`${needsSentence(feature)}; this node runs ${describeServer(server)}`);
  }
}

/** Refuses a server older than the oldest supported, with a message for the log. */
export function checkSupported(server: RedisServer, binary: string): void {
  if (!atLeast(server.redisVersion, OLDEST_SUPPORTED)) {
    throw new Error(
      `${binary} is ${describeServer(server)}; the oldest version this manager supports is Redis ${OLDEST_SUPPORTED}`,
    );
  }
}

export interface InfoReader {
  info(section: 'server'): Promise<string>;
}

/** The server behind a connection, from `INFO server`. */
export async function readServer(redis: InfoReader): Promise<RedisServer> {
  const server = serverFromInfo(parseInfo(await redis.info('server')));
  if (!server) throw new Error('INFO server has no redis_version');
  return server;
}

/**
 * For a command's `.catch()`: when Redis refused the command and the server is too old for
 * `feature`, the refusal becomes the RedisVersionError that says what is needed; anything
 * else is rethrown unchanged. Costs nothing while the command succeeds.
 */
export function explainRefusal(redis: InfoReader, feature: Feature): (err: unknown) => Promise<never> {
  return async (err: unknown) => {
    if (err instanceof RedisReplyError) {
      const server = await readServer(redis).catch(() => undefined);
      if (server) requireFeature(server, feature);
    }
    throw err;
  };
}
