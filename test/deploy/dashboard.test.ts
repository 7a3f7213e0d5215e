// The Grafana dashboard queries only metrics the manager really exposes: every metric name in
// its PromQL is looked up in live scrapes of a primary (with a replica) and of a replica.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api } from '../helpers/api.js';
import { startTestManager } from '../helpers/manager.js';
import { redisClient, startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** Metric names in a PromQL expression: identifiers outside label matchers, ranges and strings, not called as functions. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\$\w+/g, '');
  const names = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)]
    .filter((m) => !m[2] && !PROMQL_WORDS.has(m[1]) && !/^\d/.test(m[1]))
    .map((m) => m[1]);
  return [...new Set(names)];
}

interface Panel {
  id: number;
  title: string;
  targets?: { expr: string }[];
}

describe('Grafana dashboard (config/monitoring/grafana-dashboard.json)', function () {
  this.timeout(60_000);
  let dashboard: { panels: Panel[]; templating: { list: { type: string; query?: { query: string } | string }[] } };
  before(async () => {
    dashboard = JSON.parse(
      await readFile(join(import.meta.dirname, '../../config/monitoring/grafana-dashboard.json'), 'utf8'),
    );
  });

  it('extracts metric names from PromQL', () => {
    assert.deepEqual(
      metricNames('rate(redis_a_total{pod=~"$pod"}[$__rate_interval]) / (rate(redis_b{x="y"}[5m]) + c) > 0'),
      ['redis_a_total', 'redis_b', 'c'],
    );
    assert.deepEqual(metricNames('time() - instance_manager_backup_last_success_timestamp_seconds{ns="a"}'), [
      'instance_manager_backup_last_success_timestamp_seconds',
    ]);
  });

  it('has the panels an operator needs, each with a query', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const needed of [
      'Role',
      'Memory used',
      'Connected clients',
      'Commands per second',
      'Keyspace hit ratio',
      'Replication offset',
      'Backup age',
    ]) {
      assert.ok(titles.includes(needed), `no "${needed}" panel`);
    }
    assert.ok(titles.some((t) => /lag/i.test(t)));
    assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids must be unique');
    for (const p of dashboard.panels) assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
  });

  it('queries only metrics a live primary and replica expose', async () => {
    const primary = await startTestManager();
    const replicaRedis = await startRedis(['--replicaof', '127.0.0.1', String(primary.redisPort)]);
    await waitFor(
      'replica online',
      async () => /slave0:.*state=online/.test(await redisClient(primary.redisPort).info('replication')) || undefined,
    );
    const replica = await startTestManager({ raw: { redisUrl: `redis://127.0.0.1:${replicaRedis.port}` } });
    try {
      const exposed = new Set<string>();
      for (const m of [primary, replica]) {
        const text = (await api(m).get('/metrics').expect(200)).text;
        for (const line of text.split('\n')) {
          const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1];
          if (name && !line.startsWith('#')) exposed.add(name);
        }
      }
      const queries = [
        ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
        ...dashboard.templating.list
          .filter((v) => v.type === 'query')
          .map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''))),
      ];
      const used = new Set(queries.flatMap((q) => metricNames(q.replace(/^label_values\((.*),\s*\w+\)$/, '$1'))));
      assert.ok(used.size >= 10);
      const missing = [...used].filter((name) => !exposed.has(name));
      assert.deepEqual(missing, [], `the dashboard queries metrics the manager does not expose: ${missing.join(', ')}`);
    } finally {
      await replica.stop();
      await primary.stop();
    }
  });
});
