// Compat mode's reads besides INFO, against real redis-server processes: CONFIG GET at most
// once per 30 s (and again after a restart), the slow log and latency spikes at every scrape,
// and a Redis that refuses CONFIG and SLOWLOG still scraped.
import assert from 'node:assert/strict';
import { CONFIG_REFRESH_MS, ExporterCompat, LIVE_REFRESH_MS } from '../../src/domain/metrics/exporter-compat-reads.js';
import { RedisScraper } from '../../src/domain/metrics/scraper.js';
import { RedisAdapter } from '../../src/redis/adapter.js';
import { parseInfo } from '../../src/redis/info.js';
import { redisClient, startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { commandCalls } from './helpers.js';

describe('redis_exporter compat reads', () => {
  const adapters: RedisAdapter[] = [];
  after(async () => {
    for (const a of adapters) await a.close();
  });

  async function setUp(extraArgs: string[] = []) {
    const redis = await startRedis(extraArgs);
    const adapter = new RedisAdapter({ host: '127.0.0.1', port: redis.port }, 2000, 'compat-test');
    adapters.push(adapter);
    await waitFor('the scrape connection', () => adapter.ping().then(() => true));
    let now = 1_000_000;
    const compat = new ExporterCompat(adapter, () => now);
    const scraper = new RedisScraper(adapter, compat);
    const admin = redisClient(redis.port);
    const names = async () => {
      const outcome = await scraper.scrape();
      assert.equal(outcome.failure, null);
      return new Map(outcome.families!.map((f) => [f.name, f]));
    };
    return { redis, scraper, admin, compat, names, advance: (ms: number) => (now += ms) };
  }

  it('reads CONFIG at most once per 30 s, and again when Redis restarted', async () => {
    const { admin, compat, names, advance } = await setUp(['--databases', '4']);
    const configCalls = () => commandCalls(admin, 'config|get');
    for (let i = 0; i < 5; i++) {
      const families = await names();
      assert.equal(families.get('redis_db_keys')!.samples.length, 4, 'padded to CONFIG databases');
      assert.equal(families.get('redis_config_maxclients')!.samples[0].value, 10000);
    }
    assert.equal(await configCalls(), 4, 'one CONFIG GET per parameter, once');
    advance(CONFIG_REFRESH_MS - 1);
    await admin.config('SET', 'maxclients', '500');
    assert.equal((await names()).get('redis_config_maxclients')!.samples[0].value, 10000, 'cached');
    assert.equal(await configCalls(), 4);
    advance(1);
    assert.equal((await names()).get('redis_config_maxclients')!.samples[0].value, 500, 'refreshed');
    assert.equal(await configCalls(), 8);
    // A new run_id (a restarted redis-server) is not trusted with the old values.
    const info = parseInfo(await admin.info('all'));
    info.fields.set('run_id', 'f'.repeat(40));
    await compat.begin()(info, []);
    assert.equal(await configCalls(), 12);
  });

  it('reads the slow log and latency spikes with INFO, at most once a second', async () => {
    const { admin, names, advance } = await setUp([
      '--slowlog-log-slower-than',
      '5000',
      '--latency-monitor-threshold',
      '5',
    ]);
    let families = await names();
    assert.equal(families.get('redis_slowlog_length')!.samples[0].value, 0);
    assert.equal(families.get('redis_slowlog_last_id')!.samples[0].value, 0);
    assert.equal(families.has('redis_latency_spike_last'), true); // an empty family: not rendered
    assert.equal(families.get('redis_latency_spike_last')!.samples.length, 0);
    await admin.eval('local i = 0 while i < 2000000 do i = i + 1 end return i', 0);
    advance(LIVE_REFRESH_MS - 1);
    assert.equal((await names()).get('redis_slowlog_length')!.samples[0].value, 0, 'up to a second old');
    advance(1);
    families = await names();
    assert.equal(families.get('redis_slowlog_length')!.samples[0].value, 1);
    assert.ok(families.get('redis_last_slow_execution_duration_seconds')!.samples[0].value > 0.005);
    const [spike] = families.get('redis_latency_spike_duration_seconds')!.samples;
    assert.equal(spike.labels?.event_name, 'command');
    assert.ok(spike.value >= 0.005);
    const [last] = families.get('redis_latency_spike_last')!.samples;
    assert.ok(Math.abs(last.value - Date.now() / 1000) < 60);
    // One of each per second whatever the scrapes, and no CONFIG after the first.
    const commands = ['slowlog|len', 'slowlog|get', 'latency|latest', 'config|get'];
    const before = await Promise.all(commands.map((c) => commandCalls(admin, c)));
    advance(LIVE_REFRESH_MS);
    for (let i = 0; i < 3; i++) await names();
    const after = await Promise.all(commands.map((c) => commandCalls(admin, c)));
    assert.deepEqual(
      after.map((a, i) => a - before[i]),
      [1, 1, 1, 0],
    );
  });

  it('leaves out what a Redis refuses (renamed CONFIG and SLOWLOG) and still scrapes; none when Redis is gone', async () => {
    const { names, redis, scraper, advance } = await setUp([
      '--rename-command',
      'CONFIG',
      'hidden-config',
      '--rename-command',
      'SLOWLOG',
      'hidden-slowlog',
    ]);
    const families = await names();
    for (const n of ['redis_config_maxclients', 'redis_slowlog_length', 'redis_last_slow_execution_duration_seconds']) {
      assert.equal(families.has(n), false, n);
    }
    assert.equal(families.get('redis_db_keys')!.samples.length, 16, 'the exporter pads to 16 without CONFIG');
    assert.ok(families.has('redis_memory_used_bytes'));
    await redis.stop();
    advance(LIVE_REFRESH_MS);
    const outcome = await scraper.scrape();
    assert.equal(outcome.failure, 'connection');
    assert.equal(outcome.families, null);
  });
});
