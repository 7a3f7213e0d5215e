// A real Prometheus (Debian's) scrapes a live manager (primary with two replicas), a
// manager attached to one of the replicas and one in redis_exporter compat mode attached to
// the other replica; its query API must return every metric of the specification with the values
// INFO gives, and the exporter's names where the compat target is asked for them.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { freePort } from '../helpers/ports.js';
import { redisClient, startRedis, type TestRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { infoField, waitForReplicasOnline } from './helpers.js';

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

describe('a real Prometheus scraping /metrics', function () {
  this.timeout(90_000);
  let m: TestManager;
  let replicaManager: TestManager;
  let compatManager: TestManager;
  let replicas: TestRedis[];
  let prometheus: ChildProcess;
  let promUrl: string;
  let primary: Redis;

  async function query(promql: string): Promise<Vector[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: Vector[] } };
    assert.equal(body.status, 'success', promql);
    return body.data.result;
  }

  async function one(promql: string): Promise<number> {
    const result = await query(promql);
    assert.equal(result.length, 1, `${promql}: ${result.length} series`);
    return Number(result[0].value[1]);
  }

  before(async () => {
    m = await startTestManager();
    replicas = await Promise.all([0, 1].map(() => startRedis(['--replicaof', '127.0.0.1', String(m.redisPort)])));
    primary = redisClient(m.redisPort);
    await waitForReplicasOnline(primary, 2);
    replicaManager = await startTestManager({ raw: { redisUrl: `redis://127.0.0.1:${replicas[0].port}` } });
    compatManager = await startTestManager({
      raw: { redisUrl: `redis://127.0.0.1:${replicas[1].port}`, metricsCompat: 'redis_exporter' },
    });
    await primary.set('k', 'v');
    for (let i = 0; i < 7; i++) await primary.get('k');
    for (let i = 0; i < 3; i++) await primary.get('nothing-here');
    // One client blocked for the whole test: blocked_clients 1.
    void redisClient(m.redisPort)
      .blpop('never-pushed', 0)
      .catch(() => {});
    await waitFor(
      'the blocked client',
      async () => infoField(await primary.info('clients'), 'blocked_clients') === '1' || undefined,
    );

    const dir = await tempDir('im-prom-');
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target = (t: TestManager) => new URL(t.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        `  - { job_name: primary, static_configs: [ { targets: ['${target(m)}'] } ] }`,
        `  - { job_name: replica, static_configs: [ { targets: ['${target(replicaManager)}'] } ] }`,
        `  - { job_name: compat, static_configs: [ { targets: ['${target(compatManager)}'] } ] }`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      'Prometheus to have scraped every target',
      async () => {
        const res = await fetch(`${promUrl}/api/v1/query?query=redis_blocked_clients`).catch(() => undefined);
        if (!res?.ok) return undefined;
        const body = (await res.json()) as { data: { result: Vector[] } };
        return body.data.result.length === 3 || undefined;
      },
      30_000,
    );
  });

  after(async () => {
    prometheus?.kill('SIGKILL');
    await compatManager?.stop();
    await replicaManager?.stop();
    await m?.stop();
  });

  it('scrapes every target without errors (OpenMetrics, as Prometheus asks for it; compat: text)', async () => {
    const res = await fetch(`${promUrl}/api/v1/targets`);
    const body = (await res.json()) as { data: { activeTargets: { health: string; lastError: string }[] } };
    assert.equal(body.data.activeTargets.length, 3);
    for (const t of body.data.activeTargets) assert.deepEqual([t.health, t.lastError], ['up', '']);
  });

  it('returns every metric of the specification with the values INFO gives', async () => {
    const p = (name: string) => `${name}{job="primary"}`;
    const before = await primary.info('all');
    const queries = {
      role: p('redis_replication_role'),
      replicas: p('redis_connected_replicas'),
      clients: p('redis_connected_clients'),
      blocked: p('redis_blocked_clients'),
      used: p('redis_used_memory_bytes'),
      peak: p('redis_used_memory_peak_bytes'),
      lastSave: p('redis_rdb_last_save_timestamp'),
      aof: p('redis_aof_enabled'),
      offset: p('redis_replication_offset'),
      hits: p('redis_keyspace_hits_total'),
      misses: p('redis_keyspace_misses_total'),
      commands: p('redis_commands_processed_total'),
      uptime: p('redis_uptime_seconds'),
      replicaLag: 'redis_replica_lag_seconds{job="replica"}',
    };
    const got = Object.fromEntries(
      await Promise.all(Object.entries(queries).map(async ([k, q]) => [k, await one(q)] as const)),
    ) as Record<keyof typeof queries, number>;
    const after = await primary.info('all');
    const n = (info: string, f: string) => Number(infoField(info, f));
    assert.equal(got.role, 1);
    assert.equal(await one('redis_replication_role{job="replica"}'), 0);
    assert.equal(got.replicas, 2);
    assert.equal(got.clients, n(after, 'connected_clients'));
    assert.equal(got.blocked, 1);
    assert.ok(Math.abs(got.used - n(after, 'used_memory')) < 0.1 * n(after, 'used_memory'), `used_memory ${got.used}`);
    assert.ok(got.peak >= got.used && got.peak <= n(after, 'used_memory_peak'));
    assert.equal(got.lastSave, n(after, 'rdb_last_save_time'));
    assert.equal(got.aof, 0);
    assert.ok(got.offset > 0 && got.offset <= n(after, 'master_repl_offset'));
    assert.equal(got.hits, 7);
    assert.equal(got.misses, 3);
    assert.ok(got.commands > 0 && got.commands <= n(before, 'total_commands_processed'));
    assert.ok(got.uptime <= n(after, 'uptime_in_seconds') && got.uptime >= n(before, 'uptime_in_seconds') - 5);
    // The replica's lag is seconds since it last heard from the primary, which pings every 10 s.
    assert.ok(got.replicaLag >= 0 && got.replicaLag <= 10, `replica lag ${got.replicaLag}`);
    assert.equal((await query('redis_replica_lag_seconds{job="primary"}')).length, 0);
  });

  it('has the per-replica, per-command and health series too', async () => {
    const states = await query('redis_connected_replica_state{job="primary",state="online"} == 1');
    assert.deepEqual(states.map((s) => s.metric.replica_port).sort(), replicas.map((r) => String(r.port)).sort());
    assert.equal(await one('redis_commands_total{job="primary",cmd="blpop"}'), 1);
    assert.equal(await one('redis_db_keys{job="primary",db="db0"}'), 1);
    assert.equal(await one('redis_up{job="primary"}'), 1);
    assert.equal(await one('sum(redis_scrape_failures_total{job="primary"})'), 0);
    assert.ok((await query('redis_command_latency_seconds{job="primary",cmd="get",quantile="0.5"}')).length === 1);
    assert.ok((await query('process_resident_memory_bytes{job="primary"}')).length === 1);
  });

  it('answers the exporter queries of community dashboards and alerts on the compat target, and ours', async () => {
    assert.equal(await one('count(redis_instance_info{job="compat",role="slave"})'), 1);
    assert.equal((await query('redis_instance_info{job="compat",role="master"}')).length, 0);
    const port = String(m.redisPort);
    assert.equal(await one(`redis_slave_info{job="compat",master_host="127.0.0.1",master_port="${port}"}`), 1);
    assert.equal(await one(`redis_master_link_up{job="compat",master_port="${port}"}`), 1);
    assert.equal(await one('redis_db_keys{job="compat",db="db0"}'), 1);
    assert.equal(await one('redis_db_keys{job="compat",db="db15"}'), 0);
    assert.equal(
      await one('redis_memory_used_bytes{job="compat"} - redis_used_memory_bytes{job="compat"}'),
      0,
      'the same INFO under both names',
    );
    assert.ok((await one('redis_connected_clients{job="compat"} / redis_config_maxclients{job="compat"}')) > 0);
    assert.ok((await one('time() - redis_rdb_last_save_timestamp_seconds{job="compat"}')) >= 0);
    // Our own rules' and dashboard's queries keep working in compat mode.
    assert.equal(await one('sum(redis_replication_role{job="compat"})'), 0);
    assert.equal((await query('redis_master_link_up{job="compat"} == 0')).length, 0);
    assert.ok((await one('redis_replica_lag_seconds{job="compat"}')) >= 0);
    assert.equal(await one('redis_up{job="compat"}'), 1);
  });
});
