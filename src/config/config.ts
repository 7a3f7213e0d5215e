// The one place that knows the manager's configuration: the pinned CLI flags, their IM_*
// environment equivalents, defaults, and validation with errors that name the bad value.
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export type Role = 'primary' | 'replica';
/** --on-primary-restart: hold a restarted primary for the operator, or resume it alone. */
export type PrimaryRestartPolicy = 'hold' | 'resume';
export const PRIMARY_RESTART_POLICIES: readonly PrimaryRestartPolicy[] = ['hold', 'resume'];
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

/** HTTPS on --listen (src/http/tls.ts); client certificates for writes when clientCaFile is set. */
export interface TlsConfig {
  certFile: string;
  keyFile: string;
  /** Writes need a client certificate that verifies against this CA bundle. */
  clientCaFile: string | undefined;
  /** ...and whose subject CN or one of whose SANs is exactly this name. */
  clientName: string | undefined;
}

export interface Config {
  listen: { host: string; port: number };
  /** undefined: plain HTTP. */
  tls: TlsConfig | undefined;
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
  /** Backups kept in storage: the newest `count`, and/or those younger than `days` (null: no rule). */
  backupRetention: { count: number | null; days: number | null };
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
  /** How long a new bundle's self-test may run. */
  updateSelfTestTimeoutMs: number;
  /** What a restarted primary does: wait for the operator (`hold`) or resume alone (`resume`). */
  onPrimaryRestart: PrimaryRestartPolicy;
  /** A primary not renewed by the operator within this long stops taking writes; 0 = no lease. */
  primaryLeaseSeconds: number;
  /** An upload that sends nothing for this long is aborted (and the operation guard released). */
  updateStallTimeoutMs: number;
  /** How long a new build may run before it must have confirmed itself (else: rolled back). */
  updateConfirmTimeoutMs: number;
  /** PEM public key (ECDSA P-256 or Ed25519) that signs updates; undefined: updates are unsigned. */
  updatePublicKeyFile: string | undefined;
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
  backupRetentionCount: { flag: '--backup-retention-count', env: 'IM_BACKUP_RETENTION_COUNT' },
  backupRetentionDays: { flag: '--backup-retention-days', env: 'IM_BACKUP_RETENTION_DAYS' },
  logLevel: { flag: '--log-level', env: 'IM_LOG_LEVEL' },
  probeTimeoutMs: { flag: '--probe-timeout-ms', env: 'IM_PROBE_TIMEOUT_MS' },
  shutdownGraceSeconds: { flag: '--shutdown-grace-seconds', env: 'IM_SHUTDOWN_GRACE_SECONDS' },
  updateMaxBytes: { flag: '--update-max-bytes', env: 'IM_UPDATE_MAX_BYTES' },
  updateSelfTestTimeoutMs: { flag: '--update-self-test-timeout-ms', env: 'IM_UPDATE_SELF_TEST_TIMEOUT_MS' },
  onPrimaryRestart: { flag: '--on-primary-restart', env: 'IM_ON_PRIMARY_RESTART' },
  primaryLeaseSeconds: { flag: '--primary-lease-seconds', env: 'IM_PRIMARY_LEASE_SECONDS' },
  updateStallTimeoutSeconds: { flag: '--update-stall-timeout-seconds', env: 'IM_UPDATE_STALL_TIMEOUT_SECONDS' },
  updateConfirmTimeoutSeconds: {
    flag: '--update-confirm-timeout-seconds',
    env: 'IM_UPDATE_CONFIRM_TIMEOUT_SECONDS',
  },
  updatePublicKeyFile: { flag: '--update-public-key-file', env: 'IM_UPDATE_PUBLIC_KEY_FILE' },
  tlsCertFile: { flag: '--tls-cert-file', env: 'IM_TLS_CERT_FILE' },
  tlsKeyFile: { flag: '--tls-key-file', env: 'IM_TLS_KEY_FILE' },
  tlsClientCaFile: { flag: '--tls-client-ca-file', env: 'IM_TLS_CLIENT_CA_FILE' },
  tlsClientName: { flag: '--tls-client-name', env: 'IM_TLS_CLIENT_NAME' },
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
  const onPrimaryRestart = (raw.onPrimaryRestart ?? 'hold') as PrimaryRestartPolicy;
  if (!PRIMARY_RESTART_POLICIES.includes(onPrimaryRestart)) {
    throw new ConfigError(
      `--on-primary-restart: ${JSON.stringify(raw.onPrimaryRestart)} must be ${PRIMARY_RESTART_POLICIES.join(' or ')}`,
    );
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
  const backupRetention = {
    count:
      raw.backupRetentionCount === undefined
        ? null
        : integer('--backup-retention-count', raw.backupRetentionCount, 1, 100_000),
    days:
      raw.backupRetentionDays === undefined
        ? null
        : integer('--backup-retention-days', raw.backupRetentionDays, 1, 36_500),
  };
  if (!s3 && (backupRetention.count !== null || backupRetention.days !== null))
    throw new ConfigError('--backup-retention-count and --backup-retention-days need object storage (--s3-bucket)');
  const metricsCompat = raw.metricsCompat ?? 'none';
  if (metricsCompat !== 'none' && !(METRICS_COMPAT as readonly string[]).includes(metricsCompat)) {
    throw new ConfigError(
      `--metrics-compat: ${JSON.stringify(metricsCompat)} must be ${[...METRICS_COMPAT, 'none'].join(' or ')}`,
    );
  }
  return {
    listen: parseListen(raw.listen ?? '0.0.0.0:8080'),
    tls: buildTls(raw),
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
    backupRetention,
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
    onPrimaryRestart,
    primaryLeaseSeconds: integer('--primary-lease-seconds', raw.primaryLeaseSeconds ?? '0', 0, 86_400),
    updateStallTimeoutMs:
      1000 * integer('--update-stall-timeout-seconds', raw.updateStallTimeoutSeconds ?? '10', 1, 3600),
    updateConfirmTimeoutMs:
      1000 * integer('--update-confirm-timeout-seconds', raw.updateConfirmTimeoutSeconds ?? '60', 5, 3600),
    updatePublicKeyFile: raw.updatePublicKeyFile === undefined ? undefined : path(raw.updatePublicKeyFile),
    metricsCompat: metricsCompat === 'none' ? undefined : (metricsCompat as MetricsCompat),
  };
}

/** The flags only; the files themselves are checked when the server starts (src/http/tls.ts). */
function buildTls(raw: RawOptions): TlsConfig | undefined {
  const { tlsCertFile: cert, tlsKeyFile: key, tlsClientCaFile: clientCa, tlsClientName: clientName } = raw;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new ConfigError('--tls-client-ca-file needs --tls-cert-file and --tls-key-file');
    if (clientName !== undefined) throw new ConfigError('--tls-client-name needs --tls-client-ca-file');
    return undefined;
  }
  if (cert === undefined) throw new ConfigError('--tls-key-file needs --tls-cert-file');
  if (key === undefined) throw new ConfigError('--tls-cert-file needs --tls-key-file');
  if (clientName !== undefined && clientCa === undefined) {
    throw new ConfigError('--tls-client-name needs --tls-client-ca-file');
  }
  if (clientName !== undefined && clientName.trim() === '') throw new ConfigError('--tls-client-name: empty name');
  return {
    certFile: path(cert),
    keyFile: path(key),
    clientCaFile: clientCa === undefined ? undefined : path(clientCa),
    clientName,
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
