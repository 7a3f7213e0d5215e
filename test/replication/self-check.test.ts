// A demote to the node itself is refused (400) however the node is named: the pure rules in
// tables, then the manager over HTTP with real Redis, real getaddrinfo and a real TCP relay
// that leads back to the node's own Redis on another port.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { pino } from 'pino';
import {
  interfaceAddresses,
  isLocalAddress,
  isLoopbackName,
  legacyIPv4,
  SelfCheck,
  selfAddress,
} from '../../src/domain/replication/self-check.js';
import { stateFilePath } from '../../src/domain/state/state-file.js';
import { NameResolutionError } from '../../src/errors.js';
import { RedisAdapter } from '../../src/redis/adapter.js';
import { api } from '../helpers/api.js';
import { auth, startTestManager, type TestManager } from '../helpers/manager.js';
import { freePort } from '../helpers/ports.js';
import { redisClient } from '../helpers/redis.js';

describe('self-check rules', () => {
  const legacy: [string, string | null][] = [
    ['0x7f000001', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1'],
    ['0X7F.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0xdeadbeef', '222.173.190.239'],
    ['1.0x1', '1.0.0.1'],
    ['10.0x10000', '10.1.0.0'],
    ['0x7f000001.', '127.0.0.1'],
    ['127.0.0.1', null],
    ['10.0.0.12', null],
    ['redis-0', null],
    ['deadbeef', null],
    ['08.0.0.1', null],
    ['256.1.1.1', null],
    ['1.2.3.4.5', null],
    ['0x100.1', null],
    ['1.2.0x10000', null],
    ['4294967296', null],
    ['a.0x1', null],
    ['::1', null],
  ];
  for (const [host, expected] of legacy) {
    it(`${host} is ${expected === null ? 'not a legacy IPv4 notation' : `the legacy notation of ${expected}`}`, () => {
      assert.equal(legacyIPv4(host), expected);
    });
  }

  it('reads every legacy notation as getaddrinfo (and so Redis) does', async () => {
    for (const [host, expected] of legacy) {
      if (expected === null || host.endsWith('.')) continue;
      assert.equal((await lookup(host, { family: 4 })).address, expected, host);
    }
  });

  const names: [string, boolean][] = [
    ['localhost', true],
    ['LOCALHOST.', true],
    ['ip6-localhost', true],
    ['ip6-loopback', true],
    ['redis.localhost', true],
    ['localhost.example', false],
    ['mylocalhost', false],
    ['redis-0', false],
  ];
  for (const [name, expected] of names) {
    it(`${name} is ${expected ? '' : 'not '}a loopback name`, () => assert.equal(isLoopbackName(name), expected));
  }

  const local: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::', true],
    ['::ffff:7f00:1', true],
    ['::ffff:127.0.0.2', true],
    ['10.0.0.1', false],
    ['::7f00:1', false],
    ['fe80::1%lo', false],
    ['not-an-address', false],
  ];
  for (const [address, expected] of local) {
    it(`${address} is ${expected ? '' : 'not '}loopback or unspecified`, () =>
      assert.equal(isLocalAddress(address), expected));
  }

  const own = { port: 7000, interfaceAddresses: ['10.1.2.3', 'fd00::2', 'fe80::fc:ff:fe00:1'] };
  const self: [string[], number, string | undefined][] = [
    [['127.0.0.1'], 7000, '127.0.0.1'],
    [['127.9.9.9'], 7000, '127.9.9.9'],
    [['0:0:0:0:0:0:0:1'], 7000, '0:0:0:0:0:0:0:1'],
    [['::ffff:127.0.0.2'], 7000, '::ffff:127.0.0.2'],
    [['10.1.2.3'], 7000, '10.1.2.3'],
    [['::ffff:10.1.2.3'], 7000, '::ffff:10.1.2.3'],
    [['fd00:0:0::2'], 7000, 'fd00:0:0::2'],
    [['fe80::fc:ff:fe00:1%eth0'], 7000, 'fe80::fc:ff:fe00:1%eth0'],
    [['10.9.9.9', '10.1.2.3'], 7000, '10.1.2.3'],
    [['127.0.0.1'], 7001, undefined],
    [['10.1.2.3'], 7001, undefined],
    [['10.9.9.9', 'fd00::3'], 7000, undefined],
    [[], 7000, undefined],
  ];
  for (const [addresses, port, expected] of self) {
    it(`[${addresses.join(', ')}]:${port} is ${expected === undefined ? 'not this node' : `this node (${expected})`}`, () => {
      assert.equal(selfAddress(addresses, port, own), expected);
    });
  }

  describe('a resolver that fails or hangs', () => {
    let redis: RedisAdapter;
    before(async () => {
      redis = new RedisAdapter({ host: '127.0.0.1', port: await freePort() }, 200);
    });
    after(() => redis.close());
    const check = (lookup: (host: string) => Promise<string[]>) =>
      new SelfCheck({ ownPort: 7000, redis, credentials: {}, timeoutMs: 200, log: pino({ level: 'silent' }), lookup });

    it('a lookup that never answers is a 503 after the timeout, not a hang', async () => {
      await assert.rejects(
        check(() => new Promise(() => {})).assertNotSelf({ host: 'redis-0.redis', port: 6379 }),
        (err: unknown) => err instanceof NameResolutionError && /did not resolve within 200 ms/.test(err.message),
      );
    });

    it('callers retrying against a hung resolver share one pending lookup', async () => {
      let started = 0;
      let answer: (addresses: string[]) => void = () => {};
      const selfCheck = check(() => {
        started++;
        return new Promise((resolve) => (answer = resolve));
      });
      for (let i = 0; i < 3; i++) {
        await assert.rejects(selfCheck.assertNotSelf({ host: 'redis-0.redis', port: 7000 }), NameResolutionError);
      }
      assert.equal(started, 1);
      answer(['10.9.9.9']);
      await new Promise((resolve) => setImmediate(resolve));
      await assert.rejects(selfCheck.assertNotSelf({ host: 'redis-0.redis', port: 7000 }), NameResolutionError);
      assert.equal(started, 2);
    });

    it('a resolver failure (EAI_AGAIN) is a 503; a name that does not exist cannot be this node', async () => {
      const failing = (code: string) => () => Promise.reject(Object.assign(new Error(code), { code }));
      await assert.rejects(
        check(failing('EAI_AGAIN')).assertNotSelf({ host: 'redis-0.redis', port: 6379 }),
        (err: unknown) => err instanceof NameResolutionError && /EAI_AGAIN/.test(err.message),
      );
      await check(failing('ENOTFOUND')).assertNotSelf({ host: 'redis-0.redis', port: 7000 });
    });
  });
});

/** The names /etc/hosts gives to a loopback address or to one of this pod's own addresses. */
async function ownHostsAliases(): Promise<string[]> {
  const mine = new Set(interfaceAddresses());
  const text = await readFile('/etc/hosts', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim().split(/\s+/))
    .filter(([address]) => address && (isLocalAddress(address) || mine.has(address)))
    .flatMap(([, ...aliases]) => aliases);
}

/** A TCP relay on loopback to `port`: another address:port that leads to the same Redis. */
async function relayTo(port: number): Promise<{ port: number; server: Server }> {
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  const relayPort = await freePort();
  await new Promise<void>((resolve) => server.listen(relayPort, '127.0.0.1', resolve));
  return { port: relayPort, server };
}

describe('a demote to this node by another name', function () {
  this.timeout(60_000);
  let node: TestManager, other: TestManager;
  let stateBefore: string;
  before(async () => {
    [node, other] = await Promise.all([startTestManager(), startTestManager()]);
    await redisClient(node.redisPort).set('key', 'kept');
    stateBefore = await readFile(stateFilePath(node.dataDir), 'utf8');
  });
  after(() => Promise.all([node.stop(), other.stop()]));

  const demote = (primaryHost: string, primaryPort: number) =>
    api(node).post('/v1/demote').set(auth()).send({ primaryHost, primaryPort });

  async function assertUnchanged(): Promise<void> {
    assert.equal(await readFile(stateFilePath(node.dataDir), 'utf8'), stateBefore);
    const status = await api(node).get('/v1/status').expect(200);
    assert.equal(status.body.role, 'primary');
    assert.equal(await redisClient(node.redisPort).set('key', 'still-writable'), 'OK');
  }

  it('is 400 for every spelling of loopback, the pod’s names and its own addresses; nothing changes', async () => {
    const hostile = [
      '0x7f000001',
      '0x7f.0x0.0x0.0x1',
      '0:0:0:0:0:0:0:1',
      '::ffff:7f00:1',
      '::ffff:127.0.0.2',
      'ip6-loopback',
      hostname(),
      ...(await ownHostsAliases()),
      ...interfaceAddresses(),
    ];
    assert.ok(hostile.length > 8, 'the pod has names and addresses to try');
    for (const host of new Set(hostile)) {
      const res = await demote(host, node.redisPort);
      assert.equal(res.status, 400, `${host}: ${res.status} ${res.body.detail}`);
      assert.match(res.body.detail, /is this instance itself|legacy notation/, host);
      assert.equal(res.body.errors[0].path, 'primaryHost');
    }
    await assertUnchanged();
  });

  it('a legacy IPv4 notation is refused on any port, naming the address to write instead', async () => {
    const res = await demote('0x7f000001', other.redisPort).expect(400);
    assert.match(res.body.detail, /IPv4 address 127\.0\.0\.1 in a legacy notation.*write it as 127\.0\.0\.1/);
    await assertUnchanged();
  });

  it('is 400 when another address:port leads back to this node’s Redis (its run_id answers)', async () => {
    const relay = await relayTo(node.redisPort);
    try {
      const res = await demote('127.0.0.1', relay.port).expect(400);
      assert.match(res.body.detail, new RegExp(`reports this instance's own run_id`));
    } finally {
      relay.server.close();
    }
    await assertUnchanged();
  });

  it('another node on the same loopback address and another port is a valid primary', async () => {
    const res = await demote('localhost', other.redisPort).expect(200);
    assert.equal(res.body.changed, true);
    assert.deepEqual(res.body.primary, {
      host: 'localhost',
      port: other.redisPort,
      linkStatus: res.body.primary.linkStatus,
    });
    const status = await api(node).get('/v1/status').expect(200);
    assert.equal(status.body.desiredRole, 'replica');
  });
});
