// GET /metrics against real redis-server processes: a primary with two replicas, a replica,
// the exposition formats, the scrape connection, and the exporter it replaces.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { redisClient, startRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { coverage } from '../../bench/exporter-families.js';
import { has, value } from './parse.js';
import {
  commandCalls,
  infoField,
  promtoolCheckMetrics,
  scrape,
  startExporter,
  waitForReplicasOnline,
} from './helpers.js';

describe('GET /metrics on a primary with two replicas', function () {
  let m: TestManager;
  let replicas: TestRedis[];
  let replicaManager: TestManager;

  before(async () => {
    m = await startTestManager();
    replicas = await Promise.all([0, 1].map(() => startRedis(['--replicaof', '127.0.0.1', String(m.redisPort)])));
    const primary = redisClient(m.redisPort);
    await waitForReplicasOnline(primary, 2);
    await primary.set('k', 'v');
    await primary.get('k');
    await primary.get('missing');
    await primary.hset('k', 'f', 'v').catch(() => {}); // WRONGTYPE
    await primary.call('CONFIG', 'GET', 'maxmemory');
    // Replicas report their offset in an ACK once a second: wait until both have acked the writes.
    await waitFor('replicas to ack the writes', async () => {
      const offsets = [...(await primary.info('replication')).matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) =>
        Number(m[1]),
      );
      return (offsets.length === 2 && offsets.every((o) => o > 0)) || undefined;
    });
    replicaManager = await startTestManager({ raw: { redisUrl: `redis://127.0.0.1:${replicas[0].port}` } });
  });
  after(async () => {
    await replicaManager.stop();
    await m.stop();
  });

  it('is Prometheus text that promtool accepts, with the pinned metrics true to INFO', async () => {
    const s = await scrape(m);
    assert.match(s.contentType, /^text\/plain; version=0\.0\.4/);
    promtoolCheckMetrics(s.text);
    const info = await redisClient(m.redisPort).info('all');
    assert.equal(value(s.series, 'redis_up'), 1);
    assert.equal(value(s.series, 'redis_replication_role'), 1);
    assert.equal(value(s.series, 'redis_connected_replicas'), 2);
    assert.equal(has(s.series, 'redis_replica_lag_seconds'), false);
    assert.equal(value(s.series, 'redis_aof_enabled'), 0);
    assert.equal(value(s.series, 'redis_rdb_last_save_timestamp'), Number(infoField(info, 'rdb_last_save_time')));
    assert.equal(value(s.series, 'redis_keyspace_hits_total'), Number(infoField(info, 'keyspace_hits')));
    assert.equal(value(s.series, 'redis_keyspace_misses_total'), Number(infoField(info, 'keyspace_misses')));
    assert.ok(value(s.series, 'redis_replication_offset') <= Number(infoField(info, 'master_repl_offset')));
    assert.ok(value(s.series, 'redis_commands_processed_total') < Number(infoField(info, 'total_commands_processed')));
    for (const r of replicas) {
      const labels = { replica_ip: '127.0.0.1', replica_port: String(r.port) };
      assert.equal(value(s.series, 'redis_connected_replica_state', { ...labels, state: 'online' }), 1);
      assert.ok(value(s.series, 'redis_connected_replica_offset_bytes', labels) > 0);
      assert.ok(value(s.series, 'redis_connected_replica_lag_bytes', labels) >= 0);
    }
    assert.equal(value(s.series, 'redis_errors_total', { err: 'WRONGTYPE' }), 1);
    assert.equal(value(s.series, 'redis_commands_total', { cmd: 'config|get' }), 1);
    assert.ok(value(s.series, 'redis_command_latency_seconds', { cmd: 'get', quantile: '0.99' }) > 0);
    const runId = infoField(info, 'run_id');
    assert.equal(
      value(s.series, 'redis_instance_info', {
        role: 'primary',
        version: infoField(info, 'redis_version'),
        mode: 'standalone',
        run_id: runId,
      }),
      1,
    );
    assert.ok(has(s.series, 'process_resident_memory_bytes'));
  });

  it('on a replica: promtool-clean, role 0, link up, replica lag, primary named', async () => {
    const s = await scrape(replicaManager);
    promtoolCheckMetrics(s.text);
    assert.equal(value(s.series, 'redis_replication_role'), 0);
    assert.equal(value(s.series, 'redis_master_link_up'), 1);
    assert.ok(value(s.series, 'redis_replica_lag_seconds') >= 0);
    assert.equal(
      value(s.series, 'redis_replica_info', { primary_host: '127.0.0.1', primary_port: String(m.redisPort) }),
      1,
    );
    assert.equal(has(s.series, 'redis_connected_replica_state'), false);
  });

  it('is OpenMetrics when Accept asks for it: counters named without _total, # EOF last', async () => {
    const s = await scrape(m, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    assert.match(s.contentType, /^application\/openmetrics-text; version=1\.0\.0/);
    assert.ok(s.text.endsWith('\n# EOF\n'));
    assert.match(s.text, /^# TYPE redis_keyspace_hits counter$/m);
    assert.match(s.text, /^redis_keyspace_hits_total \d+$/m);
    assert.doesNotMatch(s.text, /^# TYPE \S+_total /m);
    const plain = await scrape(m, 'text/plain');
    assert.doesNotMatch(plain.text, /# EOF/);
  });

  it('scrapes over one kept-open connection of its own, apart from the probes', async () => {
    const admin = redisClient(m.redisPort);
    const metricsClients = async () =>
      String(await admin.call('CLIENT', 'LIST')).match(/^id=(\d+) .*name=instance-manager-metrics /gm) ?? [];
    await scrape(m);
    const first = await metricsClients();
    await scrape(m);
    await api(m).get('/readyz').expect(200);
    const second = await metricsClients();
    assert.equal(first.length, 1);
    assert.deepEqual(second, first);
  });

  it('shares one INFO call among concurrent scrapes', async () => {
    const admin = redisClient(m.redisPort);
    // Reading commandstats is itself an INFO call: measure that baseline first.
    const a = await commandCalls(admin, 'info');
    const b = await commandCalls(admin, 'info');
    const baseline = b - a;
    // Four scrapes begun in the same tick (over HTTP they might not overlap at all).
    const results = await Promise.all([0, 1, 2, 3].map(() => m.instance.metrics.exposition('prometheus')));
    const c = await commandCalls(admin, 'info');
    for (const r of results) assert.match(r.body.toString(), /^redis_up 1$/m);
    assert.equal(c - b - baseline, 1);
  });

  it('observes HTTP request durations by route template, unknown paths as one label', async () => {
    await api(m).get('/healthz').expect(200);
    await api(m).get('/no/such/path').expect(404);
    const s = await scrape(m);
    assert.ok(
      value(s.series, 'http_request_duration_seconds_count', { route: '/healthz', method: 'GET', status: '200' }) >= 1,
    );
    assert.ok(
      value(s.series, 'http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status: '404' }) >= 1,
    );
    assert.ok(!s.series.some((x) => x.labels.route === '/no/such/path'));
  });

  it('covers every INFO-derived family of prometheus-redis-exporter 1.45 (primary and replica)', async () => {
    for (const [target, port] of [
      [m, m.redisPort],
      [replicaManager, replicas[0].port],
    ] as const) {
      const exporter = await startExporter(port, ['--redis-only-metrics']);
      try {
        const theirs = await exporter.scrape();
        const ours = (await scrape(target)).text;
        const result = coverage(theirs, ours);
        assert.ok(result.exporterInfoFamilies.length > 80, `${result.exporterInfoFamilies.length} exporter families`);
        assert.deepEqual(result.unknown, []);
        assert.deepEqual(result.missing, []);
      } finally {
        exporter.stop();
      }
    }
  });
});
