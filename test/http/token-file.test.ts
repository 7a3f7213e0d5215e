// The operator token file's edge cases, driven over HTTP with real Redis: content that could
// never be a bearer token stops the manager at start (naming the file, never the content)
// and, found at a reload, is logged and counted; a change of permissions alone takes effect.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TOKEN_METRIC_NAMES } from '../../src/auth/token-metrics.js';
import { api } from '../helpers/api.js';
import { auth, spawnManager, startTestManager, testPaths, TEST_TOKEN, type TestManager } from '../helpers/manager.js';
import { freePort } from '../helpers/ports.js';
import { killRedisIn } from '../helpers/redis.js';
import { parseExposition, value } from '../metrics/parse.js';

const MAIN = join(import.meta.dirname, '../../src/main.ts');

async function tokenMetrics(url: string): Promise<{ usable: number; failures: (reason: string) => number }> {
  const series = parseExposition(await (await fetch(`${url}/metrics`)).text());
  return {
    usable: value(series, TOKEN_METRIC_NAMES.usable),
    failures: (reason) => value(series, TOKEN_METRIC_NAMES.reloadFailures, { reason }),
  };
}

describe('the operator token file', function () {
  this.timeout(60_000);

  it('content that can never be a bearer token stops the manager at start, naming the file but not the content', async () => {
    // One spawn (each costs seconds of start-up); the reasons are table-tested in test/unit/token.test.ts.
    const content = 'sécret-zébra';
    const { root, dataDir, tokenFile, redisPort } = await testPaths({ token: content });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'run', '--listen', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, IM_REDIS_PORT: String(redisPort), IM_TOKEN_FILE: tokenFile },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2, out);
    assert.match(out, new RegExp(`--token-file ${tokenFile}: its content cannot be a bearer token`));
    assert.match(out, /non-ASCII/);
    for (const part of ['sécret', 'zébra']) assert.ok(!out.includes(part), `the output shows ${part}`);
    // Nothing was touched: no data directory, no redis-server.
    assert.equal(existsSync(dataDir), false, `${root} has a data directory`);
  });

  describe('found unusable at a reload', () => {
    let m: TestManager;
    const logLines: string[] = [];
    before(async () => {
      m = await startTestManager({ logLines });
    });
    after(() => m.stop());

    it('is logged (file named, content never), counted, and refuses every write until fixed', async () => {
      assert.deepEqual([(await tokenMetrics(m.url)).usable, (await tokenMetrics(m.url)).failures('invalid')], [1, 0]);
      const broken = 'rotated quartz walrus';
      await writeFile(m.tokenFile, `${broken}\n`);
      const refused = await api(m).post('/v1/promote').set(auth()).expect(401);
      assert.match(refused.body.detail, /not usable/);
      const metrics = await tokenMetrics(m.url);
      assert.equal(metrics.usable, 0);
      assert.equal(metrics.failures('invalid'), 1);
      // Another request and scrape of the same broken file count nothing more.
      await api(m).post('/v1/promote').set(auth()).expect(401);
      assert.equal((await tokenMetrics(m.url)).failures('invalid'), 1);
      const errors = logLines.filter((line) => line.includes('"level":"error"'));
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.ok(errors[0].includes(m.tokenFile));
      assert.match(errors[0], /whitespace/);
      assert.ok(!logLines.join('\n').includes('walrus'), 'the content reached the log');

      await writeFile(m.tokenFile, `${TEST_TOKEN}\n`);
      await api(m).post('/v1/promote').set(auth()).expect(200);
      assert.equal((await tokenMetrics(m.url)).usable, 1);
    });
  });

  it('a change of permissions alone takes effect: unreadable refuses every write, readable again accepts', async () => {
    // As root every file is readable: the manager then runs as nobody, as in the image (user 10001).
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    const { root, dataDir, tokenFile, redisPort } = await testPaths();
    if (user) {
      await chown(root, user.uid, user.gid);
      await chown(tokenFile, user.uid, user.gid);
    }
    const manager = await spawnManager({ dataDir, redisPort, tokenFile, user });
    try {
      await api(manager.url).post('/v1/promote').set(auth()).expect(200);
      await chmod(tokenFile, 0o000);
      const refused = await api(manager.url).post('/v1/promote').set(auth()).expect(401);
      assert.match(refused.body.detail, /not usable/);
      const metrics = await tokenMetrics(manager.url);
      assert.deepEqual([metrics.usable, metrics.failures('unreadable')], [0, 1]);
      await chmod(tokenFile, 0o400);
      await api(manager.url).post('/v1/promote').set(auth()).expect(200);
      assert.equal((await tokenMetrics(manager.url)).usable, 1);
      assert.match(manager.output(), /the operator token file is not usable/);
    } finally {
      manager.child.kill('SIGTERM');
      await manager.exited;
      await killRedisIn(dataDir);
    }
  });
});
