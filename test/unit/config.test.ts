import assert from 'node:assert/strict';
import { buildConfig, parseArgs, parseListen } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';

const build = (argv: string[], env: NodeJS.ProcessEnv = {}) => buildConfig(parseArgs(argv, env));

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = build([]);
    assert.deepEqual(c.listen, { host: '0.0.0.0', port: 8080 });
    assert.equal(c.redisPort, 6379);
    assert.equal(c.initialRole, 'replica');
    assert.equal(c.maxLagSeconds, 10);
    assert.equal(c.tokenFile, undefined);
    assert.equal(c.probeTimeoutMs, 1000);
    assert.equal(c.s3, undefined);
    assert.deepEqual(c.backupRetention, { count: null, days: null });
    assert.equal(c.metricsCompat, undefined);
    assert.ok(c.dataDir.endsWith('/data'));
  });

  it('--metrics-compat: redis_exporter or none, from the flag or IM_METRICS_COMPAT', () => {
    assert.equal(build(['--metrics-compat', 'redis_exporter']).metricsCompat, 'redis_exporter');
    assert.equal(build([], { IM_METRICS_COMPAT: 'redis_exporter' }).metricsCompat, 'redis_exporter');
    assert.equal(build(['--metrics-compat=none'], { IM_METRICS_COMPAT: 'redis_exporter' }).metricsCompat, undefined);
  });

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const c = build([
      '--listen',
      '127.0.0.1:9000',
      '--data-dir=/var/lib/redis',
      '--redis-port',
      '7000',
      '--token-file',
      '/etc/im/token',
      '--initial-role',
      'primary',
      '--max-lag-seconds',
      '3',
      '--redis-password-file',
      '/etc/im/pw',
      '--redis-config',
      '/etc/im/extra.conf',
      '--s3-endpoint',
      'http://127.0.0.1:9999',
      '--s3-bucket',
      'b',
      '--s3-prefix',
      'p/',
      '--s3-region',
      'eu-west-1',
      '--s3-path-style',
      '--backup-retention-count',
      '7',
      '--backup-retention-days=30',
      '--log-level',
      'debug',
    ]);
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 9000 });
    assert.equal(c.dataDir, '/var/lib/redis');
    assert.equal(c.redisPort, 7000);
    assert.equal(c.tokenFile, '/etc/im/token');
    assert.equal(c.initialRole, 'primary');
    assert.equal(c.maxLagSeconds, 3);
    assert.equal(c.redisPasswordFile, '/etc/im/pw');
    assert.equal(c.redisConfig, '/etc/im/extra.conf');
    assert.deepEqual(c.s3, {
      endpoint: 'http://127.0.0.1:9999',
      bucket: 'b',
      prefix: 'p/',
      region: 'eu-west-1',
      pathStyle: true,
    });
    assert.deepEqual(c.backupRetention, { count: 7, days: 30 });
    assert.equal(c.logLevel, 'debug');
  });

  it('reads IM_* environment variables, and flags win over them', () => {
    const c = build(['--redis-port', '7001'], {
      IM_REDIS_PORT: '7000',
      IM_MAX_LAG_SECONDS: '4',
      IM_S3_BUCKET: 'x',
      IM_S3_PATH_STYLE: 'true',
      IM_BACKUP_RETENTION_COUNT: '3',
      IM_BACKUP_RETENTION_DAYS: '14',
    });
    assert.deepEqual(c.backupRetention, { count: 3, days: 14 });
    assert.equal(c.redisPort, 7001);
    assert.equal(c.maxLagSeconds, 4);
    assert.equal(c.s3?.bucket, 'x');
    assert.equal(c.s3?.pathStyle, true);
  });

  const invalid: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    ['unknown flag', ['--bogus', '1'], {}, /unknown option "--bogus"/],
    ['missing value', ['--redis-port'], {}, /--redis-port needs a value/],
    ['port not a number', ['--redis-port', 'abc'], {}, /--redis-port: "abc" is not a whole number/],
    ['port out of range', ['--redis-port', '70000'], {}, /--redis-port: 70000 is out of range 1..65535/],
    ['bad role', ['--initial-role', 'leader'], {}, /--initial-role: "leader" must be primary or replica/],
    ['bad listen', ['--listen', 'nowhere'], {}, /--listen: "nowhere" is not host:port/],
    ['bad log level', ['--log-level', 'loud'], {}, /--log-level: "loud"/],
    ['bad env value', [], { IM_MAX_LAG_SECONDS: '-1' }, /--max-lag-seconds: "-1" is not a whole number/],
    ['s3 without bucket', ['--s3-endpoint', 'http://x'], {}, /--s3-bucket is required/],
    [
      'bad s3 endpoint',
      ['--s3-bucket', 'b', '--s3-endpoint', 'not a url'],
      {},
      /--s3-endpoint: "not a url" is not a valid URL/,
    ],
    ['redis url scheme', ['--redis-url', 'http://h:1'], {}, /--redis-url: scheme "http:"/],
    ['a TLS certificate without its key', ['--tls-cert-file', 'c'], {}, /--tls-cert-file needs --tls-key-file/],
    ['a TLS key without its certificate', [], { IM_TLS_KEY_FILE: 'k' }, /--tls-key-file needs --tls-cert-file/],
    [
      'a client CA without HTTPS',
      ['--tls-client-ca-file', 'ca'],
      {},
      /--tls-client-ca-file needs --tls-cert-file and --tls-key-file/,
    ],
    [
      'a client name without a client CA',
      ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--tls-client-name', 'op'],
      {},
      /--tls-client-name needs --tls-client-ca-file/,
    ],
    [
      'retention count 0 (the newest backup is always kept)',
      ['--s3-bucket', 'b', '--backup-retention-count', '0'],
      {},
      /--backup-retention-count: 0 is out of range 1..100000/,
    ],
    [
      'retention days not a whole number',
      ['--s3-bucket', 'b', '--backup-retention-days', '7d'],
      {},
      /--backup-retention-days: "7d" is not a whole number/,
    ],
    ['retention without storage', ['--backup-retention-count', '2'], {}, /need object storage \(--s3-bucket\)/],
    [
      'unknown metrics compat',
      [],
      { IM_METRICS_COMPAT: 'redis-exporter' },
      /--metrics-compat: "redis-exporter" must be redis_exporter or none/,
    ],
  ];
  for (const [name, argv, env, message] of invalid) {
    it(`rejects ${name} with an error naming the value`, () => {
      assert.throws(
        () => build(argv, env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }

  it('reads the TLS flags and their IM_TLS_* variables; without them the API is plain HTTP', () => {
    assert.equal(build([]).tls, undefined);
    const c = build(['--tls-cert-file', '/etc/tls/tls.crt', '--tls-client-name', 'redis-operator'], {
      IM_TLS_KEY_FILE: '/etc/tls/tls.key',
      IM_TLS_CLIENT_CA_FILE: '/etc/tls/ca.crt',
    });
    assert.deepEqual(c.tls, {
      certFile: '/etc/tls/tls.crt',
      keyFile: '/etc/tls/tls.key',
      clientCaFile: '/etc/tls/ca.crt',
      clientName: 'redis-operator',
    });
  });

  it('refuses a password in --redis-url and never echoes it', () => {
    assert.throws(
      () => build(['--redis-url', 'redis://user:hunter2@h:6379']),
      (err: unknown) =>
        err instanceof ConfigError && !err.message.includes('hunter2') && /--redis-password-file/.test(err.message),
    );
  });

  it('parses IPv6 and bare-port listen addresses', () => {
    assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseListen(':8080'), { host: '0.0.0.0', port: 8080 });
  });
});
