import assert from 'node:assert/strict';
import { DEFAULT_BACKOFF, nextAttempt, restartDelay } from '../../src/domain/supervision/backoff.js';
import { stateFromStat } from '../../src/domain/supervision/proc.js';
import { quote, renderRedisConf, renderSecretsConf } from '../../src/domain/supervision/redis-conf.js';

describe('process state from /proc/<pid>/stat', () => {
  const cases: [string, string, ReturnType<typeof stateFromStat>][] = [
    ['running', '1234 (redis-server) S 1 1234 1234 0 -1', 'running'],
    ['runnable', '1234 (redis-server) R 1 1234', 'running'],
    ['stopped (SIGSTOP) is alive', '1234 (redis-server) T 1 1234', 'running'],
    ['zombie', '1234 (redis-server) Z 1 1234', 'zombie'],
    ['dead', '1234 (redis-server) X 1 1234', 'zombie'],
    ['comm with spaces and parentheses', '1234 (redis (x) y) Z 1', 'zombie'],
    ['garbage', '', 'gone'],
  ];
  for (const [name, stat, expected] of cases) it(name, () => assert.equal(stateFromStat(stat), expected));
});

describe('restart backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((a) => restartDelay(DEFAULT_BACKOFF, a)),
      [250, 500, 1000, 2000],
    );
    assert.equal(restartDelay(DEFAULT_BACKOFF, 20), DEFAULT_BACKOFF.maxMs);
  });
  it('counts a crash after a long healthy run as a first crash again', () => {
    assert.equal(nextAttempt(DEFAULT_BACKOFF, 5, DEFAULT_BACKOFF.resetAfterMs), 0);
    assert.equal(nextAttempt(DEFAULT_BACKOFF, 5, 100), 6);
  });
});

describe('redis.conf rendering', () => {
  const base = {
    port: 7000,
    dataDir: '/data',
    pidFile: '/data/redis.pid',
    replicaOf: null,
    secretsFile: null,
    userConfig: null,
  };

  it('writes port, dir and pidfile, and no replicaof for a primary', () => {
    const conf = renderRedisConf(base);
    assert.match(conf, /^port 7000$/m);
    assert.match(conf, /^dir "\/data"$/m);
    assert.match(conf, /^pidfile "\/data\/redis.pid"$/m);
    assert.doesNotMatch(conf, /replicaof/);
    assert.doesNotMatch(conf, /include/);
  });

  it('carries the role of a replica so a restart comes back as one', () => {
    assert.match(
      renderRedisConf({ ...base, replicaOf: { host: 'redis-0.redis', port: 6379 } }),
      /^replicaof redis-0.redis 6379$/m,
    );
  });

  it('includes the secrets file, then the user file last so it can override', () => {
    const conf = renderRedisConf({ ...base, secretsFile: '/data/s.conf', userConfig: '/etc/extra.conf' });
    const lines = conf.trim().split('\n');
    assert.equal(lines.at(-2), 'include "/data/s.conf"');
    assert.equal(lines.at(-1), 'include "/etc/extra.conf"');
  });

  it('quotes values so spaces and quotes cannot inject directives', () => {
    assert.equal(quote('a b"\\\nc'), '"a b\\"\\\\\\nc"');
    assert.equal(renderSecretsConf('p"w'), 'requirepass "p\\"w"\nmasterauth "p\\"w"\n');
  });
});
