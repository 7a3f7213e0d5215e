// INFO → metric families over INFO texts captured live from every server the project has
// (test/fixtures/info, written by scripts/capture-info-fixtures.ts: Redis 5.0 to 7.4 and
// Valkey 8, each a primary with two replicas after the same workload). Expected values are
// read from the raw text with plain regular expressions, independently of the INFO parser.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInfo } from '../../src/redis/info.js';
import { renderText, type Family } from '../../src/domain/metrics/exposition.js';
import { InfoParseError, quantile, redisFamilies } from '../../src/domain/metrics/info-families.js';
import { familyTypes, has, parseExposition, value } from './parse.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/info');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const captured = (role: 'primary' | 'replica') =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith(`-${role}.txt`))
    .sort();

function scrape(name: string) {
  const families = redisFamilies(parseInfo(fixture(name)));
  const text = renderText(families, 'prometheus');
  return { families, text, series: parseExposition(text), types: familyTypes(text) };
}

/** A field of the raw INFO text, by regular expression (not by the parser under test). */
function raw(text: string, name: string): string {
  const m = new RegExp(`^${name.replace(/[|.]/g, '\\$&')}:([^\r\n]*)`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in the fixture`);
  return m[1];
}
const rawNumber = (text: string, name: string) => Number(raw(text, name));
const rawPairs = (text: string, name: string): Record<string, string> =>
  Object.fromEntries(
    raw(text, name)
      .split(',')
      .map((kv) => kv.split('=') as [string, string]),
  );

/** "6.2.16" ≥ "6.2"? */
function atLeast(version: string, minimum: string): boolean {
  const [a, b] = [version, minimum].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The 14 names the seed pins (docs/ARCHITECTURE.md), with their types and the INFO field each comes from. */
const PINNED: [name: string, type: string, field: string][] = [
  ['redis_connected_clients', 'gauge', 'connected_clients'],
  ['redis_blocked_clients', 'gauge', 'blocked_clients'],
  ['redis_used_memory_bytes', 'gauge', 'used_memory'],
  ['redis_used_memory_peak_bytes', 'gauge', 'used_memory_peak'],
  ['redis_rdb_last_save_timestamp', 'gauge', 'rdb_last_save_time'],
  ['redis_aof_enabled', 'gauge', 'aof_enabled'],
  ['redis_replication_role', 'gauge', ''],
  ['redis_connected_replicas', 'gauge', 'connected_slaves'],
  ['redis_replication_offset', 'gauge', 'master_repl_offset'],
  ['redis_replica_lag_seconds', 'gauge', ''],
  ['redis_keyspace_hits_total', 'counter', 'keyspace_hits'],
  ['redis_keyspace_misses_total', 'counter', 'keyspace_misses'],
  ['redis_commands_processed_total', 'counter', 'total_commands_processed'],
  ['redis_uptime_seconds', 'gauge', 'uptime_in_seconds'],
];

describe('INFO → metric families', () => {
  it('has a live capture of a primary and a replica for every server', () => {
    const primaries = captured('primary');
    assert.ok(primaries.length >= 1, 'no fixtures');
    assert.deepEqual(
      captured('replica'),
      primaries.map((p) => p.replace('-primary', '-replica')),
    );
    for (const name of [...primaries, ...captured('replica')]) {
      assert.match(fixture(name), /^# Server\r\n/, `${name} is INFO as Redis sends it (CRLF)`);
    }
  });

  for (const name of captured('primary')) {
    const text = fixture(name);
    const version = raw(text, 'redis_version');
    const valkey = /^valkey_version:/m.test(text) ? raw(text, 'valkey_version') : undefined;
    // What each version reports (the Redis release notes, seen in the captures).
    const errorstats = atLeast(version, '6.2');
    const latency = atLeast(version, '7.0');
    const subcommands = atLeast(version, '7.0');
    const subexpiry = valkey === undefined && atLeast(version, '7.4');

    describe(name, () => {
      const { series, types, text: exposition } = scrape(name);

      it('has the pinned metrics with their types, true to INFO (primary: no replica lag)', () => {
        for (const [metric, type, field] of PINNED) {
          if (metric === 'redis_replica_lag_seconds') {
            assert.equal(types.has(metric), false, 'replica lag is for replicas only');
            continue;
          }
          assert.equal(types.get(metric), type, metric);
          if (field !== '') assert.equal(value(series, metric), rawNumber(text, field), metric);
        }
        assert.equal(value(series, 'redis_replication_role'), 1);
        assert.equal(value(series, 'redis_connected_replicas'), 2);
        assert.ok(value(series, 'redis_keyspace_hits_total') >= 1);
        assert.equal(value(series, 'redis_keyspace_misses_total'), 1);
      });

      it('reads keyspace lines by field name (subexpiry does not shift columns)', () => {
        const db0 = rawPairs(text, 'db0');
        assert.equal(value(series, 'redis_db_keys', { db: 'db0' }), Number(db0.keys));
        assert.equal(value(series, 'redis_db_keys_expiring', { db: 'db0' }), 2);
        assert.equal(value(series, 'redis_db_avg_ttl_seconds', { db: 'db0' }), Number(db0.avg_ttl) / 1000);
        assert.equal(value(series, 'redis_db_keys', { db: 'db3' }), 2);
        assert.equal(has(series, 'redis_db_keys_with_expiring_fields'), subexpiry);
        if (subexpiry) assert.equal(value(series, 'redis_db_keys_with_expiring_fields', { db: 'db0' }), 1);
      });

      it('has per-command calls and time, rejected/failed calls where Redis reports them', () => {
        const set = rawPairs(text, 'cmdstat_set');
        assert.equal(value(series, 'redis_commands_total', { cmd: 'set' }), 5);
        assert.equal(value(series, 'redis_commands_duration_seconds_total', { cmd: 'set' }), Number(set.usec) / 1e6);
        assert.equal(has(series, 'redis_commands_failed_calls_total'), errorstats);
        if (errorstats) assert.equal(value(series, 'redis_commands_failed_calls_total', { cmd: 'hset' }), 1);
        assert.equal(
          series.some((s) => s.labels.cmd === 'config|get'),
          subcommands,
        );
      });

      it('has error stats by prefix and latency percentiles where Redis reports them', () => {
        assert.equal(has(series, 'redis_errors_total'), errorstats);
        if (errorstats) {
          assert.equal(value(series, 'redis_errors_total', { err: 'WRONGTYPE' }), 1);
          assert.equal(value(series, 'redis_errors_total', { err: 'ERR' }), 1);
        }
        assert.equal(has(series, 'redis_command_latency_seconds'), latency);
        if (latency) {
          const p = rawPairs(text, 'latency_percentiles_usec_get');
          const get = rawPairs(text, 'cmdstat_get');
          assert.equal(
            value(series, 'redis_command_latency_seconds', { cmd: 'get', quantile: '0.99' }),
            Number(p.p99) / 1e6,
          );
          assert.equal(
            value(series, 'redis_command_latency_seconds', { cmd: 'get', quantile: '0.999' }),
            Number(p['p99.9']) / 1e6,
          );
          assert.equal(value(series, 'redis_command_latency_seconds_count', { cmd: 'get' }), Number(get.calls));
          assert.equal(value(series, 'redis_command_latency_seconds_sum', { cmd: 'get' }), Number(get.usec) / 1e6);
          assert.equal(types.get('redis_command_latency_seconds'), 'summary');
        }
      });

      it('has per-replica offset, byte lag, ack lag and state', () => {
        const slave = rawPairs(text, 'slave0');
        const r = { replica_ip: slave.ip, replica_port: slave.port };
        assert.equal(value(series, 'redis_connected_replica_offset_bytes', r), Number(slave.offset));
        assert.equal(
          value(series, 'redis_connected_replica_lag_bytes', r),
          rawNumber(text, 'master_repl_offset') - Number(slave.offset),
        );
        assert.equal(value(series, 'redis_connected_replica_ack_lag_seconds', r), Number(slave.lag));
        assert.equal(value(series, 'redis_connected_replica_state', { ...r, state: 'online' }), 1);
        assert.equal(value(series, 'redis_connected_replica_state', { ...r, state: 'send_bulk' }), 0);
      });

      it('has an info metric with role, version, mode, run id (and valkey_version on Valkey)', () => {
        const info = series.filter((s) => s.name === 'redis_instance_info');
        assert.equal(info.length, 1);
        assert.deepEqual(info[0].labels, {
          role: 'primary',
          version,
          mode: 'standalone',
          run_id: raw(text, 'run_id'),
          ...(valkey ? { valkey_version: valkey } : {}),
        });
      });

      it('uses base units, `_total` only on counters, and a HELP text for every family', () => {
        for (const [metric, type] of types) {
          assert.equal(metric.endsWith('_total'), type === 'counter', `${metric} is a ${type}`);
          assert.doesNotMatch(metric, /_(usec|msec|ms|milliseconds|sec|perc|kbps)$|_in_seconds$/, metric);
        }
        for (const m of exposition.matchAll(/^# HELP (\S+) (.*)$/gm))
          assert.ok(m[2].length > 10, `${m[1]} has a real HELP`);
        assert.equal([...exposition.matchAll(/^# HELP /gm)].length, types.size);
        // ASCII only: a single non-ASCII HELP character makes the whole body a two-byte string.
        assert.doesNotMatch(exposition, /[^\x00-\x7f]/);
      });

      it('names every family once', () => {
        const families: Family[] = redisFamilies(parseInfo(text));
        const names = families.filter((f) => f.samples.length > 0).map((f) => f.name);
        assert.deepEqual(names, [...new Set(names)]);
      });
    });
  }

  for (const name of captured('replica')) {
    const text = fixture(name);
    describe(name, () => {
      const { series, types } = scrape(name);
      it('is a replica: role 0, replica lag, link up, primary named, no per-replica series', () => {
        assert.equal(value(series, 'redis_replication_role'), 0);
        assert.equal(types.get('redis_replica_lag_seconds'), 'gauge');
        assert.equal(value(series, 'redis_replica_lag_seconds'), rawNumber(text, 'master_last_io_seconds_ago'));
        assert.equal(value(series, 'redis_master_link_up'), 1);
        assert.equal(value(series, 'redis_master_last_io_seconds_ago'), rawNumber(text, 'master_last_io_seconds_ago'));
        assert.equal(value(series, 'redis_master_sync_in_progress'), 0);
        const primary = { primary_host: raw(text, 'master_host'), primary_port: raw(text, 'master_port') };
        assert.equal(value(series, 'redis_replica_info', primary), 1);
        assert.equal(value(series, 'redis_replication_offset'), rawNumber(text, 'slave_repl_offset'));
        assert.equal(value(series, 'redis_connected_replicas'), 0);
        assert.equal(has(series, 'redis_connected_replica_offset_bytes'), false);
        assert.equal(series.find((s) => s.name === 'redis_instance_info')!.labels.role, 'replica');
      });

      it('has no replica lag while the link is down, and says the link is down', () => {
        const down =
          text
            .replace('master_link_status:up', 'master_link_status:down')
            .replace(/master_last_io_seconds_ago:\d+/, 'master_last_io_seconds_ago:-1') +
          'master_link_down_since_seconds:12\r\n';
        const s = parseExposition(renderText(redisFamilies(parseInfo(down)), 'prometheus'));
        assert.equal(value(s, 'redis_master_link_up'), 0);
        assert.equal(has(s, 'redis_replica_lag_seconds'), false);
        assert.equal(value(s, 'redis_master_link_down_since_seconds'), 12);
      });
    });
  }

  describe('conversions and tolerance', () => {
    const cases: { info: string; name: string; labels?: Record<string, string>; expected: number | undefined }[] = [
      { info: 'rdb_last_bgsave_status:ok', name: 'redis_rdb_last_bgsave_status', expected: 1 },
      { info: 'rdb_last_bgsave_status:err', name: 'redis_rdb_last_bgsave_status', expected: 0 },
      { info: 'aof_last_write_status:err', name: 'redis_aof_last_write_status', expected: 0 },
      { info: 'latest_fork_usec:1500', name: 'redis_latest_fork_seconds', expected: 0.0015 },
      { info: 'expired_stale_perc:12.50', name: 'redis_expired_stale_ratio', expected: 0.125 },
      { info: 'total_eviction_exceeded_time:2500', name: 'redis_eviction_exceeded_seconds_total', expected: 2.5 },
      { info: 'loading_loaded_perc:50.00', name: 'redis_loading_loaded_ratio', expected: 0.5 },
      { info: 'rdb_current_bgsave_time_sec:-1', name: 'redis_rdb_current_bgsave_duration_seconds', expected: -1 },
      { info: 'slave_priority:100', name: 'redis_replica_priority', expected: 100 },
      { info: 'replica_priority:90', name: 'redis_replica_priority', expected: 90 },
      { info: 'used_memory:not-a-number', name: 'redis_used_memory_bytes', expected: undefined },
      {
        info: 'db12:expires=1,keys=5,avg_ttl=0,some_future_field=9',
        name: 'redis_db_keys',
        labels: { db: 'db12' },
        expected: 5,
      },
      { info: 'errorstat_NOAUTH:count=4', name: 'redis_errors_total', labels: { err: 'NOAUTH' }, expected: 4 },
      {
        info: 'cmdstat_client|list:calls=3,usec=30,usec_per_call=10.00',
        name: 'redis_commands_total',
        labels: { cmd: 'client|list' },
        expected: 3,
      },
    ];
    for (const c of cases) {
      it(`${c.info} → ${c.name} ${String(c.expected)}`, () => {
        const section = c.info.startsWith('db')
          ? 'Keyspace'
          : c.info.startsWith('errorstat')
            ? 'Errorstats'
            : c.info.startsWith('cmdstat')
              ? 'Commandstats'
              : 'Stats';
        const text = `# Server\r\nredis_version:7.0.15\r\n# ${section}\r\n${c.info}\r\n`;
        const s = parseExposition(renderText(redisFamilies(parseInfo(text)), 'prometheus'));
        if (c.expected === undefined) assert.equal(has(s, c.name), false);
        else assert.equal(value(s, c.name, c.labels), c.expected);
      });
    }

    const quantiles: [string, string | undefined][] = [
      ['50', '0.5'],
      ['99', '0.99'],
      ['99.9', '0.999'],
      ['100', '1'],
      ['0', '0'],
      ['', undefined],
      ['q50', undefined],
      ['abc', undefined],
    ];
    for (const [percentile, expected] of quantiles) {
      it(`reads the percentile ${percentile} as the quantile ${String(expected)}, the second time from its cache too`, () => {
        assert.equal(quantile(percentile), expected);
        assert.equal(quantile(percentile), expected);
      });
    }

    it('rejects text that is not INFO as a parse failure', () => {
      assert.throws(() => redisFamilies(parseInfo('-ERR proxy says no\r\n')), InfoParseError);
      assert.throws(() => redisFamilies(parseInfo('')), InfoParseError);
    });
  });
});
