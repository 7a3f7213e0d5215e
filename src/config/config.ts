// The one place that knows the manager's configuration: the pinned CLI flags, their IM_*
// environment equivalents, defaults, and validation with errors that name the bad value.
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export type Role = 'primary' | 'replica';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** Another exporter's families that /metrics adds to ours (`--metrics-compat`). */
export type MetricsCompat = 'redis_exporter';

export interface S3Config {
  endpoint: string | undefined;
  bucket: string;
  prefix: string;
  region: string;
  pathStyle: boolean;
}

export interface Config {
  listen: { host: string; port: number };
  dataDir: string;
  redisPort: number;
  /** Where the operator token lives; undefined means writes are refused. */
  tokenFile: string | undefined;
  initialRole: Role;
  maxLagSeconds: number;
  /** Attach to a Redis the manager does not own. */
  redisUrl: string | undefined;
  redisPasswordFile: string | undefined;
  /** A user redis.conf fragment, included last. */
  redisConfig: string | undefined;
  redisServerBinary: string;
  s3: S3Config | undefined;
  logLevel: LogLevel;
  /** How long a probe or status read may wait for Redis. */
  probeTimeoutMs: number;
  /** Time allowed for SHUTDOWN on SIGTERM before redis-server is killed. */
  shutdownGraceMs: number;
  /** Largest JSON body accepted. */
  jsonBodyLimitBytes: number;
  /** Where redis-server writes its log: our stdout (the container log) or nowhere. */
  redisStdio: 'inherit' | 'ignore';
  /** Largest bundle PUT /v1/update accepts (413 beyond). */
  updateMaxBytes: number;
  /** How long a new bundle's `--version` self-test may run. */
  updateSelfTestTimeoutMs: number;
  /** `--metrics-compat redis_exporter`: /metrics also has redis_exporter 1.45's families; undefined: ours only. */
  metricsCompat: MetricsCompat | undefined;
}

/** A flag, its environment variable, and how to read it. */
interface FlagSpec {
  flag: string;
  env: string;
  boolean?: boolean;
}

const FLAGS = {
  listen: { flag: '--listen', env: 'IM_LISTEN' },
  dataDir: { flag: '--data-dir', env: 'IM_DATA_DIR' },
  redisPort: { flag: '--redis-port', env: 'IM_REDIS_PORT' },
  tokenFile: { flag: '--token-file', env: 'IM_TOKEN_FILE' },
  initialRole: { flag: '--initial-role', env: 'IM_INITIAL_ROLE' },
  maxLagSeconds: { flag: '--max-lag-seconds', env: 'IM_MAX_LAG_SECONDS' },
  redisUrl: { flag: '--redis-url', env: 'IM_REDIS_URL' },
  redisPasswordFile: { flag: '--redis-password-file', env: 'IM_REDIS_PASSWORD_FILE' },
  redisConfig: { flag: '--redis-config', env: 'IM_REDIS_CONFIG' },
  redisServer: { flag: '--redis-server', env: 'IM_REDIS_SERVER' },
  s3Endpoint: { flag: '--s3-endpoint', env: 'IM_S3_ENDPOINT' },
  s3Bucket: { flag: '--s3-bucket', env: 'IM_S3_BUCKET' },
  s3Prefix: { flag: '--s3-prefix', env: 'IM_S3_PREFIX' },
  s3Region: { flag: '--s3-region', env: 'IM_S3_REGION' },
  s3PathStyle: { flag: '--s3-path-style', env: 'IM_S3_PATH_STYLE', boolean: true },
  logLevel: { flag: '--log-level', env: 'IM_LOG_LEVEL' },
  probeTimeoutMs: { flag: '--probe-timeout-ms', env: 'IM_PROBE_TIMEOUT_MS' },
  shutdownGraceSeconds: { flag: '--shutdown-grace-seconds', env: 'IM_SHUTDOWN_GRACE_SECONDS' },
  updateMaxBytes: { flag: '--update-max-bytes', env: 'IM_UPDATE_MAX_BYTES' },
  updateSelfTestTimeoutMs: { flag: '--update-self-test-timeout-ms', env: 'IM_UPDATE_SELF_TEST_TIMEOUT_MS' },
  metricsCompat: { flag: '--metrics-compat', env: 'IM_METRICS_COMPAT' },
} satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof FLAGS;
export type RawOptions = Partial<Record<FlagName, string>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const METRICS_COMPAT: readonly MetricsCompat[] = ['redis_exporter'];

/** Splits argv into flag values; rejects unknown flags and missing values. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RawOptions {
  const raw: RawOptions = {};
  for (const [name, spec] of Object.entries(FLAGS) as [FlagName, FlagSpec][]) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const byFlag = new Map(Object.entries(FLAGS).map(([name, spec]) => [spec.flag, name as FlagName]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const name = byFlag.get(flag);
    if (!name) throw new ConfigError(`unknown option ${JSON.stringify(arg)}`);
    const spec: FlagSpec = FLAGS[name];
    if (spec.boolean && eq < 0) {
      raw[name] = 'true';
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    raw[name] = value;
  }
  return raw;
}

function integer(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name}: ${JSON.stringify(value)} is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name}: ${n} is out of range ${min}..${max}`);
  return n;
}

function bool(name: string, value: string): boolean {
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name}: ${JSON.stringify(value)} is not a boolean (true or false)`);
}

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]*)):(\d+)$/.exec(value);
  if (!m) throw new ConfigError(`--listen: ${JSON.stringify(value)} is not host:port`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: integer('--listen port', m[3], 0, 65535) };
}

function path(value: string): string {
  return isAbsolute(value) ? value : resolve(value);
}

/** Builds a validated Config from raw flag values. */
export function buildConfig(raw: RawOptions): Config {
  const initialRole = raw.initialRole ?? 'replica';
  if (initialRole !== 'primary' && initialRole !== 'replica') {
    throw new ConfigError(`--initial-role: ${JSON.stringify(initialRole)} must be primary or replica`);
  }
  const logLevel = (raw.logLevel ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`--log-level: ${JSON.stringify(raw.logLevel)} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  if (raw.redisUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(raw.redisUrl);
    } catch {
      throw new ConfigError('--redis-url: not a valid URL');
    }
    // Never echo the URL: it may carry a password.
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new ConfigError(`--redis-url: scheme ${JSON.stringify(url.protocol)} must be redis: or rediss:`);
    }
    if (url.password) {
      throw new ConfigError(
        '--redis-url: put the password in --redis-password-file, not in the URL (argv is visible to ps)',
      );
    }
  }
  const s3 = buildS3(raw);
  const metricsCompat = raw.metricsCompat ?? 'none';
  if (metricsCompat !== 'none' && !(METRICS_COMPAT as readonly string[]).includes(metricsCompat)) {
    throw new ConfigError(
      `--metrics-compat: ${JSON.stringify(metricsCompat)} must be ${[...METRICS_COMPAT, 'none'].join(' or ')}`,
    );
  }
  return {
    listen: parseListen(raw.listen ?? '0.0.0.0:8080'),
    dataDir: path(raw.dataDir ?? './data'),
    redisPort: integer('--redis-port', raw.redisPort ?? '6379', 1, 65535),
    tokenFile: raw.tokenFile === undefined ? undefined : path(raw.tokenFile),
    initialRole,
    maxLagSeconds: integer('--max-lag-seconds', raw.maxLagSeconds ?? '10', 0, 86400),
    redisUrl: raw.redisUrl,
    redisPasswordFile: raw.redisPasswordFile === undefined ? undefined : path(raw.redisPasswordFile),
    redisConfig: raw.redisConfig === undefined ? undefined : path(raw.redisConfig),
    redisServerBinary: raw.redisServer ?? 'redis-server',
    s3,
    logLevel,
    probeTimeoutMs: integer('--probe-timeout-ms', raw.probeTimeoutMs ?? '1000', 10, 60_000),
    shutdownGraceMs: 1000 * integer('--shutdown-grace-seconds', raw.shutdownGraceSeconds ?? '25', 1, 3600),
    jsonBodyLimitBytes: 64 * 1024,
    redisStdio: 'inherit',
    updateMaxBytes: integer('--update-max-bytes', raw.updateMaxBytes ?? String(64 * 1024 * 1024), 1, 2 ** 40),
    updateSelfTestTimeoutMs: integer(
      '--update-self-test-timeout-ms',
      raw.updateSelfTestTimeoutMs ?? '10000',
      100,
      600_000,
    ),
    metricsCompat: metricsCompat === 'none' ? undefined : (metricsCompat as MetricsCompat),
  };
}

function buildS3(raw: RawOptions): S3Config | undefined {
  const any = raw.s3Endpoint ?? raw.s3Bucket ?? raw.s3Prefix ?? raw.s3Region ?? raw.s3PathStyle;
  if (any === undefined) return undefined;
  if (!raw.s3Bucket) throw new ConfigError('--s3-bucket is required when any --s3-* option is given');
  if (raw.s3Endpoint !== undefined) {
    try {
      const url = new URL(raw.s3Endpoint);
      if (url.username || url.password)
        throw new ConfigError('--s3-endpoint: credentials belong in the AWS_* environment, not the URL');
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`--s3-endpoint: ${JSON.stringify(raw.s3Endpoint)} is not a valid URL`);
    }
  }
  return {
    endpoint: raw.s3Endpoint,
    bucket: raw.s3Bucket,
    prefix: raw.s3Prefix ?? '',
    region: raw.s3Region ?? 'us-east-1',
    pathStyle: raw.s3PathStyle === undefined ? false : bool('--s3-path-style', raw.s3PathStyle),
  };
}
