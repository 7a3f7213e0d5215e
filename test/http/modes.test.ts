// Attach mode (--redis-url) and a password-protected Redis (--redis-password-file).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api } from '../helpers/api.js';
import { startTestManager, testPaths } from '../helpers/manager.js';
import { redisClient, startRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

describe('attach mode (--redis-url)', () => {
  it('serves probes and status for a Redis it does not own, and never spawns one', async () => {
    const redis = await startRedis();
    const m = await startTestManager({ raw: { redisUrl: `redis://127.0.0.1:${redis.port}` } });
    assert.equal(m.instance.supervisor, null);
    await waitFor('ready', async () => (await api(m).get('/readyz')).status === 200 || undefined);
    const health = await api(m).get('/healthz').expect(200);
    assert.deepEqual(health.body, { alive: true, pid: null });
    const status = await api(m).get('/v1/status').expect(200);
    assert.equal(status.body.manager.mode, 'attached');
    assert.equal(status.body.redis.pid, redis.pid);

    await redis.stop();
    const down = await waitFor('healthz 503', async () => {
      const res = await api(m).get('/healthz');
      return res.status === 503 ? res : undefined;
    });
    assert.equal(down.body.alive, false);
    await api(m).get('/v1/status').expect(503);
    await m.stop();
  });
});

describe('password-protected Redis (--redis-password-file)', () => {
  it('passes the password through an included file, never argv, and uses it', async () => {
    const dir = await tempDir();
    const passwordFile = join(dir, 'redis-password');
    const password = 'pa55-w0rd-not-in-argv';
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    const paths = await testPaths();
    const m = await startTestManager({ dataDir: paths.dataDir, raw: { redisPasswordFile: passwordFile } });
    await waitFor('ready', async () => (await api(m).get('/readyz')).status === 200 || undefined);
    const pid = m.instance.supervisor!.pid!;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(password), 'password in argv');
    assert.ok(!(await readFile(join(paths.dataDir, 'redis.conf'), 'utf8')).includes(password));
    const secrets = await readFile(join(paths.dataDir, 'redis-secrets.conf'), 'utf8');
    assert.ok(secrets.includes(password));
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(join(paths.dataDir, 'redis-secrets.conf'))).mode & 0o777, 0o600);

    const anonymous = redisClient(m.redisPort);
    await assert.rejects(anonymous.get('x'), /NOAUTH/);
    assert.equal(await redisClient(m.redisPort, { password }).ping(), 'PONG');
    await api(m).get('/v1/status').expect(200);
    await m.stop();
  });
});
