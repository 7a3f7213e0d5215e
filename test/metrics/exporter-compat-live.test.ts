// --metrics-compat redis_exporter against the real thing: Debian's prometheus-redis-exporter
// (1.45) and a manager with the flag scrape the same redis-server, a primary with one replica
// and keys in two databases, a slow log entry, a latency spike and an error; then the same
// for the replica; then on every server of ../shared/redis-versions (Redis 5 to 7.4, Valkey 8). Family by family: name, type, label names, label values and (where they
// cannot move between two scrapes) values. Every difference is in DIFFERENCES, with a reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { EXPORTER_FAMILIES, isLeftOut } from '../../src/domain/metrics/exporter-compat-table.js';
import { api } from '../helpers/api.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { freePort } from '../helpers/ports.js';
import { killPid, redisClient, startRedis, type TestRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { promtoolFindings, scrape, startExporter, waitForReplicasOnline } from './helpers.js';
import { familyShapes, type FamilyShape } from './parse.js';

/** Where compat mode knowingly differs from the exporter, and why. */
const DIFFERENCES: Record<string, { labels?: string[]; type?: string; reason: string }> = {
  redis_instance_info: {
    labels: ['version', 'mode', 'valkey_version'],
    reason: 'one series carries our label names too, so joins and counts work in both vocabularies',
  },
  redis_expired_time_cap_reached_total: {
    type: 'counter',
    reason: 'ours is a counter (it counts); PromQL does not read TYPE and the samples are the same',
  },
};

/** Values that cannot change between the exporter's scrape and ours. */
const STABLE = [
  'redis_db_keys',
  'redis_db_keys_expiring',
  'redis_instance_info',
  'redis_slave_info',
  'redis_master_link_up',
  'redis_master_sync_in_progress',
  'redis_connected_slaves',
  'redis_connected_slave_offset_bytes',
  'redis_config_maxclients',
  'redis_config_maxmemory',
  'redis_config_io_threads',
  'redis_memory_max_bytes',
  'redis_slowlog_length',
  'redis_slowlog_last_id',
  'redis_last_slow_execution_duration_seconds',
  'redis_latency_spike_last',
  'redis_latency_spike_duration_seconds',
  'redis_errors_total',
  'redis_aof_enabled',
  'redis_rdb_last_bgsave_status',
  'redis_process_id',
  'redis_repl_backlog_is_active',
];

const exporterNames = new Set(EXPORTER_FAMILIES.map((f) => f.name));

/** Every difference between the two expositions, as readable lines (empty when they agree). */
function compare(theirs: Map<string, FamilyShape>, ours: Map<string, FamilyShape>): string[] {
  const problems: string[] = [];
  for (const [name, t] of theirs) {
    if (isLeftOut(name)) continue;
    const o = ours.get(name);
    if (!o) {
      problems.push(`${name}: missing`);
      continue;
    }
    const allowed = DIFFERENCES[name];
    if (o.type !== t.type && allowed?.type !== o.type) problems.push(`${name}: type ${o.type}, theirs ${t.type}`);
    const extra = [...o.labels].filter((l) => !t.labels.has(l) && !allowed?.labels?.includes(l));
    const missing = [...t.labels].filter((l) => !o.labels.has(l));
    if (extra.length + missing.length > 0) {
      problems.push(`${name}: labels ${[...o.labels].join(',')}, theirs ${[...t.labels].join(',')}`);
    }
    // Label values: every series of theirs is one of ours (its labels a subset), except
    // per-command series (each scraper's own commands show up in between).
    if (t.labels.has('cmd')) continue;
    const ourSeries = [...o.series].map(([key, value]) => ({ labels: labelsOf(key), value }));
    for (const [key, value] of t.series) {
      const labels = labelsOf(key);
      const match = ourSeries.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      if (!match) problems.push(`${name}: no series like ${key.slice(name.length)}`);
      else if (STABLE.includes(name) && match.value !== value) {
        problems.push(`${name}${key.slice(name.length)}: ${match.value}, theirs ${value}`);
      }
    }
  }
  for (const name of ours.keys()) {
    if (exporterNames.has(name) && !theirs.has(name)) problems.push(`${name}: ours only`);
  }
  return problems;
}

function labelsOf(key: string): Record<string, string> {
  return Object.fromEntries(JSON.parse(key.slice(key.indexOf('['))) as [string, string][]);
}

/** The state both scrapers see: keys in two databases, an error, one slow command, a synced replica. */
async function workload(admin: Redis): Promise<void> {
  await admin.set('k', 'v');
  await admin.get('k');
  await admin.hset('k', 'f', 'v').catch(() => {}); // WRONGTYPE: an errorstat (6.2+)
  await admin.select(3);
  await admin.set('expiring', 'v', 'EX', 3600);
  await admin.select(0);
  // One command of ~20 ms: a slow log entry and a latency spike, and nothing else is that slow.
  await admin.config('SET', 'slowlog-log-slower-than', '5000');
  await admin.config('SET', 'latency-monitor-threshold', '5');
  await admin.eval('local i = 0 while i < 2000000 do i = i + 1 end return i', 0);
  await waitFor('the replica to have acked the writes', async () => {
    const info = await admin.info('replication');
    const offset = Number(/^master_repl_offset:(\d+)/m.exec(info)?.[1]);
    return new RegExp(`slave0:.*offset=${offset},`).test(info) || undefined;
  });
}

/** Scrapes the exporter and a compat manager on the same Redis and checks they agree. */
async function compareWithExporter(manager: TestManager, redisPort: number, role: 'primary' | 'replica') {
  const exporter = await startExporter(redisPort);
  try {
    const theirsText = await exporter.scrape();
    const oursText = (await scrape(manager)).text;
    const theirs = familyShapes(theirsText);
    const ours = familyShapes(oursText);
    assert.deepEqual(compare(theirs, ours), []);

    // The state above really is in both: the comparison compared something.
    for (const needed of ['redis_db_keys', 'redis_instance_info', 'redis_config_maxclients', 'redis_slowlog_length']) {
      assert.ok(theirs.has(needed), needed);
    }
    const exporterRole = role === 'primary' ? 'master' : 'slave';
    assert.ok(
      [...ours.get('redis_instance_info')!.series.keys()].some((k) => k.includes(`["role","${exporterRole}"]`)),
    );
    assert.equal(ours.get('redis_db_keys')!.series.size, 16, 'a series for each of the 16 databases');
    const needed =
      role === 'primary'
        ? [
            'redis_connected_slave_offset_bytes',
            'redis_latency_spike_last',
            'redis_last_slow_execution_duration_seconds',
          ]
        : ['redis_slave_info', 'redis_master_link_up', 'redis_slave_repl_offset'];
    for (const n of needed) assert.ok(theirs.has(n) && ours.has(n), n);
    if (role === 'primary') {
      assert.ok([...ours.get('redis_last_slow_execution_duration_seconds')!.series.values()][0] > 0.005);
    }

    // promtool: it parses; its only complaints are about the exporter's own names, which it
    // makes about the exporter too.
    const theirFindings = promtoolFindings(theirsText);
    const ourFindings = promtoolFindings(oursText);
    assert.ok(ourFindings.length > 0);
    assert.deepEqual(
      ourFindings.filter((f) => !theirFindings.includes(f)),
      [],
    );
  } finally {
    exporter.stop();
  }
}

describe('--metrics-compat redis_exporter against prometheus-redis-exporter 1.45 on the same Redis', function () {
  this.timeout(60_000);
  let primary: TestManager;
  let replica: TestRedis;
  let replicaManager: TestManager;

  before(async () => {
    primary = await startTestManager({ raw: { metricsCompat: 'redis_exporter' } });
    const admin = redisClient(primary.redisPort);
    replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.redisPort)]);
    await waitForReplicasOnline(admin, 1);
    await workload(admin);
    replicaManager = await startTestManager({
      raw: { redisUrl: `redis://127.0.0.1:${replica.port}`, metricsCompat: 'redis_exporter' },
    });
  });
  after(async () => {
    await replicaManager?.stop();
    await primary?.stop();
  });

  it("has every family of the exporter's, with its type, labels and label values (primary)", () =>
    compareWithExporter(primary, primary.redisPort, 'primary'));

  it("has every family of the exporter's, with its type, labels and label values (replica)", () =>
    compareWithExporter(replicaManager, replica.port, 'replica'));

  it('has one HELP and one TYPE per family, and answers OpenMetrics requests in the text format', async () => {
    const res = await api(primary)
      .get('/metrics')
      .set('Accept', 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5')
      .expect(200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = res.text;
    assert.doesNotMatch(text, /# EOF/);
    for (const kind of ['HELP', 'TYPE']) {
      const names = [...text.matchAll(new RegExp(`^# ${kind} (\\S+)`, 'gm'))].map((m) => m[1]);
      assert.deepEqual(
        names.filter((n, i) => names.indexOf(n) !== i),
        [],
        `${kind} lines`,
      );
    }
    // Each family's samples follow its TYPE line, never another family's.
    let current = '';
    for (const line of text.split('\n')) {
      const type = /^# TYPE (\S+)/.exec(line);
      if (type) current = type[1];
      else if (line !== '' && !line.startsWith('#')) {
        const name = /^[^{ ]+/.exec(line)![0];
        assert.ok(name === current || name.replace(/_(sum|count|bucket)$/, '') === current, line);
      }
    }
  });
});

/** The servers of the version matrix next to the repository, or null where there are none. */
const VERSIONS_DIR = join(import.meta.dirname, '../../../shared/redis-versions');
function versionServers(): { name: string; binary: string }[] | null {
  if (!existsSync(VERSIONS_DIR)) return null;
  return readdirSync(VERSIONS_DIR)
    .sort()
    .flatMap((name) =>
      ['redis-server', 'valkey-server']
        .map((b) => join(VERSIONS_DIR, name, b))
        .filter((b) => existsSync(b))
        .map((binary) => ({ name, binary })),
    );
}

describe('--metrics-compat redis_exporter against the exporter, on every server of the version matrix', function () {
  this.timeout(60_000);
  const servers = versionServers();
  const pids: number[] = [];
  after(() => pids.forEach((pid) => killPid(pid)));

  if (servers === null) {
    it(`is skipped: no ${VERSIONS_DIR}`, function () {
      this.skip();
    });
    return;
  }
  for (const { name, binary } of servers) {
    it(`${name}: the exporter's families, as primary and as replica`, async () => {
      const start = async (args: string[]) => {
        const port = await freePort();
        const child = spawn(
          binary,
          ['--port', String(port), '--dir', await tempDir('im-compat-'), '--save', '', ...args],
          {
            stdio: 'ignore',
          },
        );
        pids.push(child.pid!);
        const client = redisClient(port);
        await waitFor(`${name} on ${port}`, async () => (await client.ping()) === 'PONG');
        return { port, client };
      };
      const p = await start(['--repl-diskless-sync-delay', '0']); // 7.0+ would wait 5 s before syncing
      const r = await start(['--replicaof', '127.0.0.1', String(p.port)]);
      await waitForReplicasOnline(p.client, 1);
      await workload(p.client);
      for (const [role, port] of [
        ['primary', p.port],
        ['replica', r.port],
      ] as const) {
        const manager = await startTestManager({
          raw: { redisUrl: `redis://127.0.0.1:${port}`, metricsCompat: 'redis_exporter' },
        });
        try {
          await compareWithExporter(manager, port, role);
        } finally {
          await manager.stop();
        }
      }
    });
  }
});
