// Faults of the Redis process under a live manager: every answer stays bounded and true.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initialState, writeState } from '../../src/domain/state/state-file.js';
import { PID_FILE_NAME, runningRedisPid } from '../../src/domain/supervision/proc.js';
import { api } from '../helpers/api.js';
import { spawnManager, startTestManager, testPaths, type TestManager } from '../helpers/manager.js';
import { killPid, killRedisIn, redisClient, startRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

/** Generous bound that only catches a hang; speed is measured in bench/, not asserted here. */
const NO_HANG_MS = 5000;

describe('faults', function () {
  this.timeout(60_000);

  describe('redis-server killed with SIGKILL', () => {
    let m: TestManager;
    before(async () => {
      m = await startTestManager();
    });
    after(() => m.stop());

    it('turns /healthz to 503, restarts redis-server and reports the restart', async () => {
      const before = (await api(m).get('/v1/status').expect(200)).body;
      const oldPid = m.instance.supervisor!.pid!;
      const killedAt = Date.now();
      killPid(oldPid, 'SIGKILL');
      const down = await waitFor(
        'healthz 503',
        async () => {
          const res = await api(m).get('/healthz');
          return res.status === 503 ? res : undefined;
        },
        NO_HANG_MS,
        5,
      );
      console.log(`      (exit noticed after ${Date.now() - killedAt} ms)`);
      assert.deepEqual(down.body, { alive: false, pid: null, reason: 'redis-server is not running' });
      const up = await waitFor('healthz 200 with a new pid', async () => {
        const res = await api(m).get('/healthz');
        return res.status === 200 && res.body.pid !== oldPid ? res : undefined;
      });
      assert.notEqual(up.body.pid, oldPid);
      const after = await waitFor('status after restart', async () => {
        const res = await api(m).get('/v1/status');
        return res.status === 200 ? res.body : undefined;
      });
      assert.equal(after.redis.restarts, before.redis.restarts + 1);
      assert.equal(after.redis.pid, up.body.pid);
      assert.notEqual(after.redis.runId, before.redis.runId);
    });
  });

  describe('redis-server hung (SIGSTOP)', () => {
    let m: TestManager;
    let pid: number;
    before(async () => {
      m = await startTestManager({ raw: { probeTimeoutMs: '300' } });
      pid = m.instance.supervisor!.pid!;
    });
    after(async () => {
      killPid(pid, 'SIGCONT');
      await m.stop();
    });

    it('/readyz and /v1/status answer 503 within their timeout; /healthz still sees the process', async () => {
      killPid(pid, 'SIGSTOP');
      const ready = await api(m).get('/readyz').timeout(NO_HANG_MS).expect(503);
      assert.equal(ready.body.ready, false);
      assert.match(ready.body.reasons[0], /^unreachable: .*did not answer within 300 ms/);
      const status = await api(m).get('/v1/status').timeout(NO_HANG_MS).expect(503);
      assert.match(status.body.detail, /INFO did not answer within 300 ms/);
      // A stopped process is not a dead one: liveness is about the process, readiness about answers.
      await api(m).get('/healthz').timeout(NO_HANG_MS).expect(200);
    });

    it('recovers when Redis resumes', async () => {
      killPid(pid, 'SIGCONT');
      await waitFor('ready again', async () => (await api(m).get('/readyz')).status === 200 || undefined);
      await api(m).get('/v1/status').expect(200);
    });
  });

  describe('redis-server loading its dataset', () => {
    let m: TestManager;
    before(async () => {
      const dir = await tempDir();
      const userConf = join(dir, 'slow-load.conf');
      // Slow the load down (µs per key) and keep serving events while loading, so LOADING
      // lasts long enough to be observed.
      await writeFile(userConf, 'key-load-delay 100\nloading-process-events-interval-bytes 1024\n');
      // resume: the primary comes back writable by itself once loaded (a hold is tested elsewhere).
      m = await startTestManager({ raw: { redisConfig: userConf, onPrimaryRestart: 'resume' } });
      const redis = redisClient(m.redisPort);
      const pipeline = redis.pipeline();
      for (let i = 0; i < 30_000; i++) pipeline.set(`key:${i}`, `value:${i}`);
      await pipeline.exec();
      await redis.save();
    });
    after(() => m.stop());

    it('is alive (200) but not ready (503, loading), and status says loading', async () => {
      killPid(m.instance.supervisor!.pid!, 'SIGKILL');
      const ready = await waitFor(
        'readyz to report loading',
        async () => {
          const res = await api(m).get('/readyz');
          return res.status === 503 && res.body.reasons.some((r: string) => r.startsWith('loading:')) ? res : undefined;
        },
        15_000,
        20,
      );
      assert.deepEqual(ready.body.reasons, ['loading: Redis is loading the dataset into memory']);
      await api(m).get('/healthz').expect(200);
      const status = await api(m).get('/v1/status').expect(200);
      assert.equal(status.body.redis.loading, true);
      await waitFor('load to finish', async () => (await api(m).get('/readyz')).status === 200 || undefined, 30_000);
      const done = await api(m).get('/v1/status').expect(200);
      assert.equal(done.body.redis.loading, false);
    });
  });

  describe('a replica whose primary is gone', () => {
    let m: TestManager;
    it('is ready while linked, then 503 link-down with a truthful status', async () => {
      const primary = await startRedis();
      await primary.client().set('seed', '1');
      const paths = await testPaths();
      await writeState(paths.dataDir, {
        ...initialState('replica'),
        primary: { host: '127.0.0.1', port: primary.port },
      });
      m = await startTestManager({ dataDir: paths.dataDir, raw: { initialRole: 'replica' } });
      await waitFor('replica ready', async () => (await api(m).get('/readyz')).status === 200 || undefined);
      const linked = await api(m).get('/v1/status').expect(200);
      assert.equal(linked.body.role, 'replica');
      assert.deepEqual(
        { host: linked.body.primary.host, port: linked.body.primary.port, linkStatus: linked.body.primary.linkStatus },
        { host: '127.0.0.1', port: primary.port, linkStatus: 'up' },
      );
      assert.equal(typeof linked.body.lagSeconds, 'number');

      await primary.stop();
      const ready = await waitFor('link-down', async () => {
        const res = await api(m).get('/readyz');
        return res.status === 503 ? res : undefined;
      });
      assert.match(
        ready.body.reasons[0],
        new RegExp(`^link-down: the link to the primary 127.0.0.1:${primary.port} is down`),
      );
      const status = await api(m).get('/v1/status').expect(200);
      assert.equal(status.body.primary.linkStatus, 'down');
      assert.equal(status.body.lagSeconds, null);
      await api(m).get('/healthz').expect(200);
      await m.stop();
    });
  });

  describe('manager restarts while Redis runs', () => {
    it('an in-process manager that goes away is replaced by one that adopts the same redis-server', async () => {
      const first = await startTestManager();
      const pid = first.instance.supervisor!.pid!;
      await redisClient(first.redisPort).set('survives', 'yes');
      await first.abandon();
      const second = await startTestManager({ dataDir: first.dataDir, redisPort: first.redisPort });
      assert.equal(second.instance.supervisor!.pid, pid);
      const health = await api(second).get('/healthz').expect(200);
      assert.equal(health.body.pid, pid);
      const status = await api(second).get('/v1/status').expect(200);
      assert.equal(status.body.redis.pid, pid);
      assert.equal(status.body.redis.restarts, 0);
      assert.equal(await redisClient(second.redisPort).get('survives'), 'yes');
      await second.stop();
    });

    it('a manager process killed with SIGKILL is replaced by one that adopts, not a second redis-server', async () => {
      const paths = await testPaths();
      const first = await spawnManager(paths);
      const before = await api(first.url).get('/v1/status').expect(200);
      first.child.kill('SIGKILL');
      await first.exited;
      const second = await spawnManager(paths);
      const after = await api(second.url).get('/v1/status').expect(200);
      assert.equal(after.body.redis.pid, before.body.redis.pid);
      assert.equal(after.body.redis.runId, before.body.redis.runId);
      assert.notEqual(after.body.manager.sessionId, before.body.manager.sessionId);
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    });

    it('a stale pidfile naming a dead or foreign process is not adopted', async () => {
      const paths = await testPaths();
      const { mkdir } = await import('node:fs/promises');
      await mkdir(paths.dataDir, { recursive: true });
      // PID 1 is alive but is not a redis-server of this data directory.
      await writeFile(join(paths.dataDir, 'redis.pid'), '1\n');
      const m = await startTestManager({ dataDir: paths.dataDir });
      assert.notEqual(m.instance.supervisor!.pid, 1);
      await api(m).get('/healthz').expect(200);
      await m.stop();
    });
  });

  describe('SIGTERM', () => {
    it('shuts Redis down cleanly (dataset saved) and exits 0', async () => {
      const paths = await testPaths();
      const m = await spawnManager(paths);
      const status = await api(m.url).get('/v1/status').expect(200);
      await redisClient(paths.redisPort).set('saved-on-shutdown', '1');
      m.child.kill('SIGTERM');
      assert.equal(await m.exited, 0);
      await waitFor('redis-server to be gone', async () => {
        try {
          await readFile(`/proc/${status.body.redis.pid}/stat`);
          return undefined;
        } catch {
          return true;
        }
      });
      const rdb = await readFile(join(paths.dataDir, 'dump.rdb'));
      assert.ok(rdb.includes(Buffer.from('saved-on-shutdown')));
      await killRedisIn(paths.dataDir);
    });

    it('sends SIGTERM at once when Redis refuses SHUTDOWN: Redis still saves, exit 0', async () => {
      // A redis-server without SHUTDOWN (renamed away): the manager's SHUTDOWN gets an error
      // reply. It must not sit out the grace period before SIGTERM, which Redis answers with
      // its own clean shutdown (saving the dataset).
      const paths = await testPaths();
      const dir = await tempDir('im-no-shutdown-');
      const wrapper = join(dir, 'redis-server-without-shutdown');
      await writeFile(wrapper, `#!/bin/sh\nexec redis-server "$@" --rename-command SHUTDOWN ''\n`, { mode: 0o755 });
      const m = await spawnManager({ ...paths, extra: ['--redis-server', wrapper, '--shutdown-grace-seconds', '60'] });
      await redisClient(paths.redisPort).set('saved-on-sigterm', '1');
      m.child.kill('SIGTERM');
      assert.equal(await m.exited, 0, m.output());
      const messages = m
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; reason?: string });
      const escalation = messages.find((l) => l.msg === 'redis-server did not take SHUTDOWN; sending SIGTERM');
      assert.match(escalation?.reason ?? '', /unknown command/i, m.output());
      assert.ok(!messages.some((l) => l.msg === 'redis-server did not shut down in time; sending SIGTERM'), m.output());
      assert.equal(runningRedisPid(join(paths.dataDir, PID_FILE_NAME), paths.dataDir), null);
      const rdb = await readFile(join(paths.dataDir, 'dump.rdb'));
      assert.ok(rdb.includes(Buffer.from('saved-on-sigterm')));
    });

    it('during start-up is acted on once the manager is up: Redis shut down, exit 0', async () => {
      // A redis-server binary that takes a second to say its version, which the manager asks
      // before it starts Redis: the signal surely comes while the manager starts (Node's
      // default would end it there, and leave the Redis it then started running).
      const paths = await testPaths();
      const dir = await tempDir('im-slow-redis-');
      const starting = join(dir, 'starting');
      const slow = join(dir, 'slow-redis-server');
      await writeFile(
        slow,
        `#!/bin/sh\n[ "$1" = --version ] && { : > ${starting}; sleep 1; }\nexec redis-server "$@"\n`,
        { mode: 0o755 },
      );
      const m = await spawnManager({
        ...paths,
        // Redis may not answer SHUTDOWN yet when the manager is up: then it is sent SIGTERM.
        extra: ['--redis-server', slow, '--shutdown-grace-seconds', '5'],
        waitUntil: 'spawned',
      });
      await waitFor('redis-server to be starting', async () =>
        (await stat(starting).catch(() => null)) ? true : undefined,
      );
      const signalledAt = Date.now();
      m.child.kill('SIGTERM');
      assert.equal(await m.exited, 0, m.output());
      const logged = new Map(
        m
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg: string; time: string })
          .map(({ msg, time }) => [msg, Date.parse(time)]),
      );
      // The signal came while the manager started; it finished starting, then shut Redis down.
      assert.ok(logged.get('serving')! > signalledAt, m.output());
      assert.ok(logged.get('shut down')! >= logged.get('serving')!, m.output());
      assert.equal(runningRedisPid(join(paths.dataDir, PID_FILE_NAME), paths.dataDir), null);
    });
  });
});
