import assert from 'node:assert/strict';
import { DEFAULT_BACKOFF, nextAttempt, restartDelay } from '../../src/domain/supervision/backoff.js';
import { stateFromStat } from '../../src/domain/supervision/proc.js';
import { quote, renderRedisConf, renderSecretsConf } from '../../src/domain/supervision/redis-conf.js';
import { serverFromVersionOutput, type RedisServer } from '../../src/redis/capabilities.js';

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

/** What `--version` printed for each server of the version matrix (and Debian's 7.0.15). */
const VERSION_OUTPUTS = {
  '5.0.14': 'Redis server v=5.0.14 sha=00000000:0 malloc=libc bits=64 build=1266af480b6a18ca',
  '6.0.20': 'Redis server v=6.0.20 sha=00000000:0 malloc=libc bits=64 build=57b7452c9305fc8a',
  '6.2.16': 'Redis server v=6.2.16 sha=00000000:0 malloc=libc bits=64 build=cc49d11774f2907b',
  '7.0.15': 'Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0',
  '7.2.6': 'Redis server v=7.2.6 sha=00000000:0 malloc=libc bits=64 build=fa795486fa9cb90c',
  '7.4.1': 'Redis server v=7.4.1 sha=00000000:1 malloc=libc bits=64 build=b04d10b90d617f43',
  'valkey 8.0.1': 'Valkey server v=8.0.1 sha=00000000:1 malloc=libc bits=64 build=99f335d3dac20ef9',
};
const serverOf = (label: keyof typeof VERSION_OUTPUTS): RedisServer => serverFromVersionOutput(VERSION_OUTPUTS[label])!;

describe('redis.conf rendering', () => {
  const base = {
    server: serverOf('7.0.15'),
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

  describe('per server version: only directives that version reads', () => {
    // `bind * -::*` (optional IPv6) is 6.2+; 5.0 and 6.0 refuse to start on it, and with no
    // bind line they listen on IPv4 and IPv6 where available: the same addresses.
    const table: [keyof typeof VERSION_OUTPUTS, string | null][] = [
      ['5.0.14', null],
      ['6.0.20', null],
      ['6.2.16', 'bind * -::*'],
      ['7.0.15', 'bind * -::*'],
      ['7.2.6', 'bind * -::*'],
      ['7.4.1', 'bind * -::*'],
      ['valkey 8.0.1', 'bind * -::*'],
    ];
    for (const [label, bind] of table) {
      it(`${label}: ${bind ?? 'no bind line'}, the rest unchanged`, () => {
        const conf = renderRedisConf({ ...base, server: serverOf(label), replicaOf: { host: '10.0.0.1', port: 6379 } });
        const binds = conf.split('\n').filter((l) => l.startsWith('bind'));
        assert.deepEqual(binds, bind === null ? [] : [bind]);
        const withoutBind = (text: string) =>
          text
            .split('\n')
            .filter((l) => !l.startsWith('bind'))
            .join('\n');
        const newest = renderRedisConf({ ...base, replicaOf: { host: '10.0.0.1', port: 6379 } });
        assert.equal(withoutBind(conf), withoutBind(newest));
        assert.match(conf, /^replicaof 10\.0\.0\.1 6379$/m);
        assert.match(conf, /^replica-read-only yes$/m);
      });
    }
  });
});
