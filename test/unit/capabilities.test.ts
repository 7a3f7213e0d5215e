// The feature → minimum Redis version table (src/redis/capabilities.ts): how servers are
// recognised, what each version may do, the problem an older one gets, and that the README
// and openapi.yaml say exactly what the table says.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisVersionError } from '../../src/errors.js';
import { RedisReplyError } from '../../src/redis/adapter.js';
import {
  FEATURES,
  OLDEST_SUPPORTED,
  checkSupported,
  describeServer,
  explainRefusal,
  needsSentence,
  requireFeature,
  serverFromInfo,
  serverFromVersionOutput,
  supports,
  type Feature,
  type RedisServer,
} from '../../src/redis/capabilities.js';
import { parseInfo } from '../../src/redis/info.js';
import { openapiDocument } from '../helpers/contract.js';

const root = join(import.meta.dirname, '../..');
const server = (output: string) => serverFromVersionOutput(output)!;
const redis = (v: string) => server(`Redis server v=${v} sha=00000000:0 malloc=libc bits=64 build=1`);
const valkey = server('Valkey server v=8.0.1 sha=00000000:1 malloc=libc bits=64 build=99f335d3dac20ef9');

describe('Redis capabilities', () => {
  describe('recognising a server', () => {
    it('from --version: Redis by its version, Valkey by the Redis version it is compatible with', () => {
      assert.deepEqual(redis('6.0.20'), { name: 'redis', version: '6.0.20', redisVersion: [6, 0, 20] });
      assert.deepEqual(valkey, { name: 'valkey', version: '8.0.1', redisVersion: [7, 2, 4] });
      assert.equal(serverFromVersionOutput('KeyDB server v=6.3.4'), undefined);
      assert.equal(serverFromVersionOutput(''), undefined);
    });

    it('from INFO server: valkey_version when there is one, redis_version otherwise', () => {
      const v = serverFromInfo(
        parseInfo('# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n'),
      );
      assert.deepEqual(v, { name: 'valkey', version: '8.0.1', redisVersion: [7, 2, 4] });
      assert.deepEqual(serverFromInfo(parseInfo('# Server\r\nredis_version:5.0.14\r\n')), redis('5.0.14'));
      assert.equal(serverFromInfo(parseInfo('# Replication\r\nrole:master\r\n')), undefined);
      assert.equal(describeServer(v), 'Valkey 8.0.1');
    });
  });

  describe('what each version may do', () => {
    const table: [string, RedisServer, Record<Feature, boolean>][] = [
      ['5.0.14', redis('5.0.14'), { replication: true, fence: false, aofBackup: false, dualStackBind: false }],
      ['6.0.20', redis('6.0.20'), { replication: true, fence: false, aofBackup: false, dualStackBind: false }],
      ['6.2.0', redis('6.2.0'), { replication: true, fence: true, aofBackup: false, dualStackBind: true }],
      ['6.2.16', redis('6.2.16'), { replication: true, fence: true, aofBackup: false, dualStackBind: true }],
      ['7.0.15', redis('7.0.15'), { replication: true, fence: true, aofBackup: true, dualStackBind: true }],
      ['7.4.1', redis('7.4.1'), { replication: true, fence: true, aofBackup: true, dualStackBind: true }],
      ['10.0.0', redis('10.0.0'), { replication: true, fence: true, aofBackup: true, dualStackBind: true }],
      ['valkey 8.0.1', valkey, { replication: true, fence: true, aofBackup: true, dualStackBind: true }],
    ];
    for (const [label, s, expected] of table) {
      it(label, () => {
        for (const feature of Object.keys(FEATURES) as Feature[]) {
          assert.equal(supports(s, feature), expected[feature], `${label} ${feature}`);
        }
      });
    }

    it('a server older than the oldest supported is refused by name', () => {
      assert.throws(
        () => checkSupported(redis('4.0.14'), '/opt/redis-4/redis-server'),
        /\/opt\/redis-4\/redis-server is Redis 4\.0\.14; the oldest version this manager supports is Redis 5\.0/,
      );
      checkSupported(redis(OLDEST_SUPPORTED + '.0'), 'redis-server');
    });
  });

  describe('the problem an older server gets', () => {
    it('is a 501 that names the feature, the version needed and the one running', () => {
      assert.throws(
        () => requireFeature(redis('6.0.20'), 'fence'),
        (e: unknown) =>
          e instanceof RedisVersionError &&
          e.status === 501 &&
          e.type === 'https://redis-instance-manager.dev/problems/redis-version' &&
          e.message ===
            "fencing (fence, unfence, and so the client's switchover()) needs Redis ≥ 6.2 (CLIENT PAUSE … WRITE and CLIENT UNPAUSE); this node runs Redis 6.0.20",
      );
      requireFeature(redis('6.2.16'), 'fence');
      requireFeature(valkey, 'aofBackup');
    });

    it('replaces a refusal only when the server is too old; other errors pass unchanged', async () => {
      const reader = (version: string) => ({ info: async () => `# Server\r\nredis_version:${version}\r\n` });
      const refusal = new RedisReplyError("ERR Unknown subcommand or wrong number of arguments for 'PAUSE'");
      await assert.rejects(explainRefusal(reader('6.0.20'), 'fence')(refusal), RedisVersionError);
      await assert.rejects(explainRefusal(reader('7.0.15'), 'fence')(refusal), (e) => e === refusal);
      const timeout = new Error('CLIENT did not answer within 1000 ms');
      await assert.rejects(explainRefusal(reader('6.0.20'), 'fence')(timeout), (e) => e === timeout);
      const unreadable = { info: async () => Promise.reject(new Error('down')) };
      await assert.rejects(explainRefusal(unreadable, 'fence')(refusal), (e) => e === refusal);
    });
  });

  describe('the docs say what the table says', () => {
    it('README: a "Supported Redis versions" row per feature with its minimum', () => {
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      for (const need of Object.values(FEATURES)) {
        const row = `| ${need.what} | ≥ ${need.since} | ${need.uses} |`;
        assert.ok(readme.includes(row), `README.md lacks the row\n${row}`);
      }
      assert.ok(readme.includes(`Redis ${OLDEST_SUPPORTED} and later`), 'README names the oldest supported Redis');
    });

    it('openapi.yaml: every operation a feature names says "Needs Redis ≥ <minimum>"', () => {
      const descriptions = new Map<string, string>();
      for (const item of Object.values(openapiDocument.paths as Record<string, Record<string, unknown>>)) {
        for (const op of Object.values(item) as { operationId: string; description?: string }[]) {
          descriptions.set(op.operationId, op.description ?? '');
        }
      }
      for (const [feature, need] of Object.entries(FEATURES)) {
        for (const operation of need.operations) {
          assert.ok(descriptions.has(operation), `${feature}: no operation ${operation}`);
          assert.match(
            descriptions.get(operation)!.replace(/\s+/g, ' '),
            new RegExp(`[Nn]eeds? Redis ≥ ${need.since.replace('.', '\\.')}`),
            `${operation} does not say it needs Redis ≥ ${need.since}`,
          );
        }
      }
    });

    it('the sentence the problems use', () => {
      assert.equal(
        needsSentence('aofBackup'),
        'an AOF backup (`type: aof`) needs Redis ≥ 7.0 (the multi-part AOF directory: appendonlydir and its manifest)',
      );
    });
  });
});
