// /metrics when Redis is down, hung, loading or restarted: always a bounded 200, redis_up
// tells the truth, nothing stale is presented as current, counters reset visibly.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { killPid, redisClient, startRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { has, value, type Series } from './parse.js';
import { promtoolCheckMetrics, scrape } from './helpers.js';

/** Series that exist whether or not Redis answered (scrape health, the manager's own). */
// The manager's own facts (health of the scrape, its process, and the hold, fence and drift it
// records in its state file) are there whatever Redis does; Redis's own series are not.
const ALWAYS =
  /^(redis_up|redis_scrape_|redis_restarts_observed_total|redis_instance_(held|fenced|fence_remaining_seconds|lease_remaining_seconds)$|redis_role_drift_corrections_total|instance_manager_|process_|nodejs_|http_)/;

function assertNoRedisSeries(series: Series[]): void {
  const stale = series.filter((s) => !ALWAYS.test(s.name)).map((s) => s.name);
  assert.deepEqual(stale, []);
}

describe('/metrics when Redis is in trouble', function () {
  this.timeout(60_000);
  const managers: TestManager[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.stop();
  });

  it('Redis down: 200 with redis_up 0, a connection failure counted, no Redis series', async () => {
    const redis = await startRedis();
    const m = await startTestManager({ raw: { redisUrl: `redis://127.0.0.1:${redis.port}` } });
    managers.push(m);
    assert.equal(value((await scrape(m)).series, 'redis_up'), 1);
    await redis.stop();
    const s = await scrape(m);
    promtoolCheckMetrics(s.text);
    assert.equal(value(s.series, 'redis_up'), 0);
    assert.ok(value(s.series, 'redis_scrape_failures_total', { kind: 'connection' }) >= 1);
    assert.equal(value(s.series, 'redis_scrape_failures_total', { kind: 'parse' }), 0);
    assertNoRedisSeries(s.series);
    assert.doesNotMatch(s.text, /ECONN|not reachable|failed:/, 'no error text in the exposition');
  });

  it('Redis hung (SIGSTOP): 200 with redis_up 0 and a timeout counted; back to 1 after SIGCONT', async () => {
    const m = await startTestManager({ raw: { probeTimeoutMs: '300' } });
    managers.push(m);
    const pid = m.instance.supervisor!.pid!;
    assert.equal(value((await scrape(m)).series, 'redis_up'), 1);
    killPid(pid, 'SIGSTOP');
    try {
      const s = await scrape(m);
      assert.equal(value(s.series, 'redis_up'), 0);
      assert.equal(value(s.series, 'redis_scrape_failures_total', { kind: 'timeout' }), 1);
      assertNoRedisSeries(s.series);
    } finally {
      killPid(pid, 'SIGCONT');
    }
    await waitFor('redis_up 1 again', async () => value((await scrape(m)).series, 'redis_up') === 1 || undefined);
  });

  it('Redis loading its dataset: redis_up 1 with redis_loading 1 and load progress', async () => {
    const dir = await tempDir('im-conf-');
    const userConfig = join(dir, 'slow-load.conf');
    // Each key takes 50 µs to load, and Redis answers between every 1 KiB loaded.
    await writeFile(userConfig, 'key-load-delay 50\nloading-process-events-interval-bytes 1024\n');
    const m = await startTestManager({ raw: { redisConfig: userConfig } });
    managers.push(m);
    const client = redisClient(m.redisPort);
    for (let batch = 0; batch < 20; batch++) {
      const pipeline = client.pipeline();
      for (let i = 0; i < 2000; i++) pipeline.set(`key:${batch}:${i}`, 'x'.repeat(20));
      await pipeline.exec();
    }
    await client.call('SAVE');
    killPid(m.instance.supervisor!.pid!, 'SIGKILL');
    const loading = await waitFor(
      'a scrape during loading',
      async () => {
        const s = await scrape(m);
        return has(s.series, 'redis_loading') && value(s.series, 'redis_loading') === 1 ? s : undefined;
      },
      20_000,
    );
    promtoolCheckMetrics(loading.text);
    assert.equal(value(loading.series, 'redis_up'), 1);
    assert.ok(value(loading.series, 'redis_loading_total_bytes') > 0);
    assert.ok(value(loading.series, 'redis_loading_loaded_bytes') >= 0);
    await waitFor(
      'loading to finish',
      async () => value((await scrape(m)).series, 'redis_loading') === 0 || undefined,
      30_000,
    );
    const after = await scrape(m);
    assert.equal(value(after.series, 'redis_db_keys', { db: 'db0' }), 40_000);
  });

  it('Redis restarted: counters start again (a visible reset), run_id changes, the restart is counted', async () => {
    const m = await startTestManager();
    managers.push(m);
    const client = redisClient(m.redisPort);
    await client.set('k', 'v');
    for (let i = 0; i < 50; i++) await client.get('k');
    const before = await scrape(m);
    const hitsBefore = value(before.series, 'redis_keyspace_hits_total');
    assert.ok(hitsBefore >= 50);
    const infoBefore = before.series.find((s) => s.name === 'redis_instance_info')!;
    assert.equal(value(before.series, 'redis_restarts_observed_total'), 0);

    killPid(m.instance.supervisor!.pid!, 'SIGKILL');
    const after = await waitFor(
      'a scrape of the restarted Redis',
      async () => {
        const s = await scrape(m);
        const info = s.series.find((x) => x.name === 'redis_instance_info');
        return info && info.labels.run_id !== infoBefore.labels.run_id ? s : undefined;
      },
      20_000,
    );
    // The counter dropped: Prometheus's rate()/increase() read a decrease as a reset, so no
    // negative rate results, and the old total is not carried forward to hide it.
    assert.ok(value(after.series, 'redis_keyspace_hits_total') < hitsBefore);
    assert.equal(value(after.series, 'redis_restarts_observed_total'), 1);
    assert.equal(value(after.series, 'instance_manager_redis_restarts_total'), 1);
    assert.ok(value(after.series, 'redis_start_time_seconds') >= value(before.series, 'redis_start_time_seconds'));
    assert.ok(value(after.series, 'redis_uptime_seconds') <= value(before.series, 'redis_uptime_seconds') + 5);
  });
});
