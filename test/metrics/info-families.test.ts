// INFO → metric families over INFO texts of Redis 5, 6.2, 7.0, 7.4, 8 and Valkey 8.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInfo } from '../../src/redis/info.js';
import { render, finish, type Family } from '../../src/domain/metrics/exposition.js';
import { InfoParseError, redisFamilies } from '../../src/domain/metrics/info-families.js';
import { familyTypes, has, parseExposition, value } from './parse.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/info', name), 'utf8');

function scrape(name: string) {
  const families = redisFamilies(parseInfo(fixture(name)));
  const text = finish(render(families, 'prometheus'), 'prometheus');
  return { families, text, series: parseExposition(text), types: familyTypes(text) };
}

/** The 14 names DESIGN.md §3 pins, with their types. */
const PINNED: [string, string][] = [
  ['redis_connected_clients', 'gauge'],
  ['redis_blocked_clients', 'gauge'],
  ['redis_used_memory_bytes', 'gauge'],
  ['redis_used_memory_peak_bytes', 'gauge'],
  ['redis_rdb_last_save_timestamp', 'gauge'],
  ['redis_aof_enabled', 'gauge'],
  ['redis_replication_role', 'gauge'],
  ['redis_connected_replicas', 'gauge'],
  ['redis_replication_offset', 'gauge'],
  ['redis_replica_lag_seconds', 'gauge'],
  ['redis_keyspace_hits_total', 'counter'],
  ['redis_keyspace_misses_total', 'counter'],
  ['redis_commands_processed_total', 'counter'],
  ['redis_uptime_seconds', 'gauge'],
];

interface Case {
  fixture: string;
  version: string;
  valkeyVersion?: string;
  errorstats: boolean;
  latency: boolean;
  subcommands: boolean;
  failedCalls: boolean;
  subexpiry: number | undefined;
}

const PRIMARIES: Case[] = [
  {
    fixture: 'redis-5.0-primary.txt',
    version: '5.0.14',
    errorstats: false,
    latency: false,
    subcommands: false,
    failedCalls: false,
    subexpiry: undefined,
  },
  {
    fixture: 'redis-6.2-primary.txt',
    version: '6.2.14',
    errorstats: true,
    latency: false,
    subcommands: false,
    failedCalls: true,
    subexpiry: undefined,
  },
  {
    fixture: 'redis-7.0-primary.txt',
    version: '7.0.15',
    errorstats: true,
    latency: true,
    subcommands: true,
    failedCalls: true,
    subexpiry: undefined,
  },
  {
    fixture: 'redis-7.4-primary.txt',
    version: '7.4.1',
    errorstats: true,
    latency: true,
    subcommands: true,
    failedCalls: true,
    subexpiry: 1,
  },
  {
    fixture: 'redis-8.0-primary.txt',
    version: '8.0.2',
    errorstats: true,
    latency: true,
    subcommands: true,
    failedCalls: true,
    subexpiry: 0,
  },
  {
    fixture: 'valkey-8.0-primary.txt',
    version: '7.2.4',
    valkeyVersion: '8.0.1',
    errorstats: true,
    latency: true,
    subcommands: true,
    failedCalls: true,
    subexpiry: undefined,
  },
];

describe('INFO → metric families', () => {
  for (const c of PRIMARIES) {
    describe(c.fixture, () => {
      const { series, types, text } = scrape(c.fixture);

      it('has the pinned metrics with their types and values (primary: no replica lag)', () => {
        for (const [name, type] of PINNED) {
          if (name === 'redis_replica_lag_seconds') {
            assert.equal(types.has(name), false, 'replica lag is for replicas only');
            continue;
          }
          assert.equal(types.get(name), type, name);
        }
        assert.equal(value(series, 'redis_replication_role'), 1);
        assert.equal(value(series, 'redis_connected_replicas'), 2);
        assert.equal(value(series, 'redis_replication_offset'), 480);
        assert.equal(value(series, 'redis_keyspace_hits_total'), 1);
        assert.equal(value(series, 'redis_keyspace_misses_total'), 1);
        assert.equal(value(series, 'redis_commands_processed_total'), 87);
        assert.equal(value(series, 'redis_uptime_seconds'), 32);
        assert.equal(value(series, 'redis_used_memory_bytes'), 1427896);
        assert.equal(value(series, 'redis_rdb_last_save_timestamp'), 1795708865);
        assert.equal(value(series, 'redis_aof_enabled'), 0);
      });

      it('reads keyspace lines by field name (subexpiry does not shift columns)', () => {
        assert.equal(value(series, 'redis_db_keys', { db: 'db0' }), 3);
        assert.equal(value(series, 'redis_db_keys_expiring', { db: 'db0' }), 2);
        assert.equal(value(series, 'redis_db_avg_ttl_seconds', { db: 'db0' }), 157.095);
        assert.equal(value(series, 'redis_db_keys', { db: 'db3' }), 2);
        if (c.subexpiry === undefined) assert.equal(has(series, 'redis_db_keys_with_expiring_fields'), false);
        else assert.equal(value(series, 'redis_db_keys_with_expiring_fields', { db: 'db0' }), c.subexpiry);
      });

      it('has per-command calls and time, rejected/failed calls where Redis reports them', () => {
        assert.equal(value(series, 'redis_commands_total', { cmd: 'set' }), 4);
        assert.equal(value(series, 'redis_commands_duration_seconds_total', { cmd: 'set' }), 22e-6);
        assert.equal(has(series, 'redis_commands_failed_calls_total'), c.failedCalls);
        if (c.failedCalls) assert.equal(value(series, 'redis_commands_failed_calls_total', { cmd: 'hset' }), 1);
        assert.equal(
          series.some((s) => s.labels.cmd === 'config|get'),
          c.subcommands,
        );
      });

      it('has error stats by prefix and latency percentiles where Redis reports them', () => {
        assert.equal(has(series, 'redis_errors_total'), c.errorstats);
        if (c.errorstats) assert.equal(value(series, 'redis_errors_total', { err: 'WRONGTYPE' }), 1);
        assert.equal(has(series, 'redis_command_latency_seconds'), c.latency);
        if (c.latency) {
          assert.equal(value(series, 'redis_command_latency_seconds', { cmd: 'get', quantile: '0.99' }), 3.007e-6);
          assert.equal(value(series, 'redis_command_latency_seconds', { cmd: 'get', quantile: '0.999' }), 3.007e-6);
          assert.equal(value(series, 'redis_command_latency_seconds_count', { cmd: 'get' }), 2);
          assert.equal(value(series, 'redis_command_latency_seconds_sum', { cmd: 'get' }), 5e-6);
          assert.equal(types.get('redis_command_latency_seconds'), 'summary');
        }
      });

      it('has per-replica offset, byte lag, ack lag and state', () => {
        const r = { replica_ip: '127.0.0.1', replica_port: '17002' };
        assert.equal(value(series, 'redis_connected_replica_offset_bytes', r), 480);
        assert.equal(value(series, 'redis_connected_replica_lag_bytes', r), 0);
        assert.equal(value(series, 'redis_connected_replica_ack_lag_seconds', r), 1);
        assert.equal(value(series, 'redis_connected_replica_state', { ...r, state: 'online' }), 1);
        assert.equal(value(series, 'redis_connected_replica_state', { ...r, state: 'send_bulk' }), 0);
      });

      it('has an info metric with role, version, mode, run id (and valkey_version on Valkey)', () => {
        const info = series.filter((s) => s.name === 'redis_instance_info');
        assert.equal(info.length, 1);
        assert.deepEqual(info[0].labels, {
          role: 'primary',
          version: c.version,
          mode: 'standalone',
          run_id: '5a6a2d0f69d492326d396f05ac270bc297b0d628',
          ...(c.valkeyVersion ? { valkey_version: c.valkeyVersion } : {}),
        });
      });

      it('uses base units, `_total` only on counters, and a HELP text for every family', () => {
        for (const [name, type] of types) {
          assert.equal(name.endsWith('_total'), type === 'counter', `${name} is a ${type}`);
          assert.doesNotMatch(name, /_(usec|msec|ms|milliseconds|sec|perc|kbps)$|_in_seconds$/, name);
        }
        for (const m of text.matchAll(/^# HELP (\S+) (.*)$/gm)) assert.ok(m[2].length > 10, `${m[1]} has a real HELP`);
        assert.equal([...text.matchAll(/^# HELP /gm)].length, types.size);
        // ASCII only: a single non-ASCII HELP character makes the whole body a two-byte string.
        assert.doesNotMatch(text, /[^\x00-\x7f]/);
      });
    });
  }

  describe('redis-7.0-replica.txt', () => {
    const { series, types } = scrape('redis-7.0-replica.txt');
    it('is a replica: role 0, replica lag, link up, primary named, no per-replica series', () => {
      assert.equal(value(series, 'redis_replication_role'), 0);
      assert.equal(types.get('redis_replica_lag_seconds'), 'gauge');
      assert.equal(value(series, 'redis_replica_lag_seconds'), 1);
      assert.equal(value(series, 'redis_master_link_up'), 1);
      assert.equal(value(series, 'redis_master_last_io_seconds_ago'), 1);
      assert.equal(value(series, 'redis_master_sync_in_progress'), 0);
      assert.equal(value(series, 'redis_replica_info', { primary_host: '127.0.0.1', primary_port: '17001' }), 1);
      assert.equal(value(series, 'redis_replication_offset'), 480);
      assert.equal(value(series, 'redis_connected_replicas'), 0);
      assert.equal(has(series, 'redis_connected_replica_offset_bytes'), false);
      assert.equal(series.find((s) => s.name === 'redis_instance_info')!.labels.role, 'replica');
    });

    it('has no replica lag while the link is down, and says the link is down', () => {
      const down =
        fixture('redis-7.0-replica.txt')
          .replace('master_link_status:up', 'master_link_status:down')
          .replace('master_last_io_seconds_ago:1', 'master_last_io_seconds_ago:-1') +
        'master_link_down_since_seconds:12\r\n';
      const s = parseExposition(finish(render(redisFamilies(parseInfo(down)), 'prometheus'), 'prometheus'));
      assert.equal(value(s, 'redis_master_link_up'), 0);
      assert.equal(has(s, 'redis_replica_lag_seconds'), false);
      assert.equal(value(s, 'redis_master_link_down_since_seconds'), 12);
    });
  });

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
        const s = parseExposition(finish(render(redisFamilies(parseInfo(text)), 'prometheus'), 'prometheus'));
        if (c.expected === undefined) assert.equal(has(s, c.name), false);
        else assert.equal(value(s, c.name, c.labels), c.expected);
      });
    }

    it('rejects text that is not INFO as a parse failure', () => {
      assert.throws(() => redisFamilies(parseInfo('-ERR proxy says no\r\n')), InfoParseError);
      assert.throws(() => redisFamilies(parseInfo('')), InfoParseError);
    });

    it('names every family once', () => {
      const families: Family[] = redisFamilies(parseInfo(fixture('redis-8.0-primary.txt')));
      const names = families.filter((f) => f.samples.length > 0).map((f) => f.name);
      assert.deepEqual(names, [...new Set(names)]);
    });
  });
});
