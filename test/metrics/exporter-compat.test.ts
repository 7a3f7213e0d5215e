// redis_exporter compat mode, pure: INFO fixtures of Redis 5 to 8 and Valkey 8 → the compat
// families. One HELP/TYPE per name, ours kept (reshaped only where the exporter's shape is a
// superset), the exporter's values and labels.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInfo, type Info } from '../../src/redis/info.js';
import { renderText } from '../../src/domain/metrics/exposition.js';
import { withExporterFamilies, type CompatReads } from '../../src/domain/metrics/exporter-compat.js';
import { EXPORTER_FAMILIES, exporterValue, isLeftOut } from '../../src/domain/metrics/exporter-compat-table.js';
import { redisFamilies } from '../../src/domain/metrics/info-families.js';
import { SCALAR_METRICS } from '../../src/domain/metrics/info-scalars.js';
import { promtoolFindings } from './helpers.js';
import { familyShapes, parseExposition, value } from './parse.js';

const FIXTURE_DIR = join(import.meta.dirname, '../fixtures/info');
/** Every INFO fixture there is (`<server>-<version>-primary.txt`, `…-replica.txt`). */
const FIXTURES = readdirSync(FIXTURE_DIR)
  .filter((f) => /-(primary|replica)\.txt$/.test(f))
  .sort();
const fixture = (name: string) => readFileSync(join(FIXTURE_DIR, name), 'utf8');
/** The fixture of a version line and role: `redis-7.0` finds redis-7.0-primary.txt or redis-7.0.15-primary.txt. */
function of(version: string, role: 'primary' | 'replica' = 'primary'): string {
  const found = FIXTURES.find(
    (f) => (f.startsWith(`${version}-`) || f.startsWith(`${version}.`)) && f.endsWith(`-${role}.txt`),
  );
  if (!found) throw new Error(`no ${version} ${role} INFO fixture`);
  return found;
}

const READS: CompatReads = {
  config: new Map([
    ['databases', 16],
    ['maxclients', 10000],
    ['maxmemory', 1048576],
    ['io-threads', 1],
  ]),
  slowlog: { length: 3, lastId: 7, lastDurationSeconds: 0.012 },
  latency: [{ event: 'command', lastTimestamp: 1795708860, latestSeconds: 0.021 }],
  now: 1795708900_500,
};
const NO_READS: CompatReads = { config: undefined, slowlog: undefined, latency: undefined, now: READS.now };

function compat(info: Info, reads = READS) {
  const native = redisFamilies(info);
  const families = withExporterFamilies(info, native, reads);
  const text = renderText(families, 'prometheus');
  return { native, families, text, series: parseExposition(text), shapes: familyShapes(text) };
}

/** INFO with some fields replaced (or added to the section named). */
function edited(name: string, changes: Record<string, string>, section = 'server'): Info {
  const info = parseInfo(fixture(name));
  for (const [k, v] of Object.entries(changes)) {
    info.fields.set(k, v);
    const s = [...info.sections.values()].find((m) => m.has(k)) ?? info.sections.get(section)!;
    s.set(k, v);
  }
  return info;
}

const byName = new Map(EXPORTER_FAMILIES.map((f) => [f.name, f]));

describe('redis_exporter compat families', () => {
  for (const name of FIXTURES) {
    describe(name, () => {
      const info = parseInfo(fixture(name));
      const { native, families, text, series, shapes } = compat(info);

      it('keeps one family per name and every family of ours, with its HELP and TYPE', () => {
        const names = families.map((f) => f.name);
        assert.deepEqual(
          names.filter((n, i) => names.indexOf(n) !== i),
          [],
        );
        for (const n of native) {
          const c = families.find((f) => f.name === n.name)!;
          assert.ok(c, n.name);
          assert.equal(c.type, n.type, n.name);
          assert.equal(c.help, n.help, n.name);
          if (c !== n) assert.equal(byName.get(n.name)?.treatment, 'reshaped', `${n.name} changed but is not reshaped`);
        }
      });

      it('reshapes only to a superset of our labels (our queries keep matching)', () => {
        for (const n of native) {
          const c = families.find((f) => f.name === n.name)!;
          if (c === n) continue;
          const ours = new Set(n.samples.flatMap((s) => Object.keys(s.labels ?? {})));
          const theirs = new Set(c.samples.flatMap((s) => Object.keys(s.labels ?? {})));
          for (const l of ours) assert.ok(theirs.has(l), `${n.name} lost label ${l}`);
          // Every series of ours is still there (same labels but role, same value)...
          for (const s of n.samples) {
            const match = c.samples.find((x) =>
              Object.entries(s.labels ?? {}).every(([k, v]) => k === 'role' || x.labels?.[k] === v),
            );
            assert.ok(match && match.value === s.value, `${n.name}${JSON.stringify(s.labels)}`);
          }
        }
      });

      it('adds only names we do not use, each in the table with its type and labels', () => {
        const nativeNames = new Set(native.map((f) => f.name));
        for (const f of families) {
          if (nativeNames.has(f.name)) continue;
          const entry = byName.get(f.name);
          assert.ok(entry, `${f.name} is not in EXPORTER_FAMILIES`);
          // A shared name is added only where ours is missing from this INFO (start time, Redis < 6.2).
          assert.ok(entry.treatment === 'added' || f.name === 'redis_start_time_seconds', f.name);
          assert.equal(f.type, entry.type, f.name);
          const shape = shapes.get(f.name);
          if (shape) assert.deepEqual([...shape.labels].sort(), [...entry.labels].sort(), f.name);
          assert.ok(f.help.length > 10, `${f.name} has a real HELP`);
        }
      });

      it('gives the exporter values: shared names equal, added ones INFO as the exporter reads it', () => {
        for (const m of SCALAR_METRICS) {
          const entry = EXPORTER_FAMILIES.find(
            (e) => e.native === m.name && e.source === 'INFO' && e.labels.length === 0,
          );
          const raw = info.fields.get(m.field);
          if (!entry || raw === undefined || exporterValue(raw) === undefined) continue;
          const expected = exporterValue(raw)! / (m.field === 'latest_fork_usec' ? 1e6 : 1);
          // To the last bit but for µs → s, where ours multiplies by 1e-6 and the exporter divides.
          const got = value(series, entry.name);
          assert.ok(
            Math.abs(got - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
            `${entry.name} (${m.field}=${raw}): ${got}`,
          );
        }
        assert.equal(value(series, 'redis_uptime_in_seconds'), Number(info.fields.get('uptime_in_seconds')));
        assert.equal(value(series, 'redis_memory_used_bytes'), Number(info.fields.get('used_memory')));
        assert.equal(value(series, 'redis_expired_stale_percentage'), Number(info.fields.get('expired_stale_perc')));
        assert.equal(
          value(series, 'redis_rdb_last_bgsave_status'),
          info.fields.get('rdb_last_bgsave_status') === 'ok' ? 1 : 0,
        );
      });

      it('pads redis_db_keys with 0 for every configured database', () => {
        for (let db = 0; db < 16; db++) {
          const keys =
            info.fields.get(`db${db}`) === undefined ? 0 : Number(/keys=(\d+)/.exec(info.fields.get(`db${db}`)!)![1]);
          assert.equal(value(series, 'redis_db_keys', { db: `db${db}` }), keys);
          assert.ok(value(series, 'redis_db_keys_expiring', { db: `db${db}` }) >= 0);
        }
        // avg_ttl only for databases that have keys, as the exporter does.
        assert.equal(
          series.filter((s) => s.name === 'redis_db_avg_ttl_seconds').length,
          info.sections.get('keyspace')?.size ?? 0,
        );
      });

      it('has redis_instance_info in both vocabularies, with the exporter role', () => {
        const [s] = series.filter((x) => x.name === 'redis_instance_info');
        assert.equal(series.filter((x) => x.name === 'redis_instance_info').length, 1);
        const f = info.fields;
        assert.deepEqual(
          { ...s.labels, valkey_version: undefined },
          {
            role: f.get('role'),
            version: f.get('redis_version'),
            mode: f.get('redis_mode') ?? f.get('server_mode'),
            run_id: f.get('run_id'),
            valkey_version: undefined,
            redis_version: f.get('redis_version'),
            redis_build_id: f.get('redis_build_id'),
            redis_mode: f.get('redis_mode') ?? '', // Valkey 8 says server_mode; 1.45 reads redis_mode only
            os: f.get('os'),
            maxmemory_policy: f.get('maxmemory_policy'),
            tcp_port: f.get('tcp_port'),
            process_id: f.get('process_id'),
          },
        );
        assert.equal(s.labels.valkey_version, f.get('valkey_version'));
      });

      it('has the reads: redis_config_*, the slow log and latency spikes', () => {
        assert.equal(value(series, 'redis_config_maxclients'), 10000);
        assert.equal(value(series, 'redis_config_maxmemory'), 1048576);
        assert.equal(value(series, 'redis_config_io_threads'), 1);
        assert.equal(value(series, 'redis_slowlog_length'), 3);
        assert.equal(value(series, 'redis_slowlog_last_id'), 7);
        assert.equal(value(series, 'redis_last_slow_execution_duration_seconds'), 0.012);
        assert.equal(value(series, 'redis_latency_spike_last', { event_name: 'command' }), 1795708860);
        assert.equal(value(series, 'redis_latency_spike_duration_seconds', { event_name: 'command' }), 0.021);
      });

      it('is ASCII (the exposition is encoded on the fast path)', () => {
        assert.equal(Buffer.byteLength(text, 'utf8'), text.length);
      });

      it('promtool: parses, and remarks only on exporter names', () => {
        const exporterNames = new Set(EXPORTER_FAMILIES.map((f) => f.name));
        for (const finding of promtoolFindings(text)) {
          assert.ok(exporterNames.has(finding.split(' ')[0]), finding);
          assert.notEqual(byName.get(finding.split(' ')[0])?.treatment, 'shared', finding);
        }
      });
    });
  }

  it('per connected replica: offset and lag with slave_ip, slave_port, slave_state', () => {
    const info = parseInfo(fixture(of('redis-7.0')));
    const { series } = compat(info);
    const offsets = series.filter((s) => s.name === 'redis_connected_slave_offset_bytes');
    assert.equal(offsets.length, Number(info.fields.get('connected_slaves')));
    assert.ok(offsets.length > 0);
    for (const s of offsets) assert.deepEqual(Object.keys(s.labels).sort(), ['slave_ip', 'slave_port', 'slave_state']);
    const replica = info.sections.get('replication')!.get('slave0')!;
    const labels = {
      slave_ip: /ip=([^,]+)/.exec(replica)![1],
      slave_port: /port=(\d+)/.exec(replica)![1],
      slave_state: /state=(\w+)/.exec(replica)![1],
    };
    assert.equal(value(series, 'redis_connected_slave_offset_bytes', labels), Number(/offset=(\d+)/.exec(replica)![1]));
    assert.equal(value(series, 'redis_connected_slave_lag_seconds', labels), Number(/lag=(\d+)/.exec(replica)![1]));
    assert.equal(value(series, 'redis_connected_slaves'), offsets.length);
    assert.equal(value(series, 'redis_master_repl_offset'), Number(info.fields.get('master_repl_offset')));
  });

  it('on a replica: redis_slave_info and the master link, labelled with the primary', () => {
    const info = parseInfo(fixture(of('redis-7.0', 'replica')));
    const { series } = compat(info);
    const master = { master_host: info.fields.get('master_host')!, master_port: info.fields.get('master_port')! };
    assert.equal(value(series, 'redis_slave_info', { ...master, read_only: '1' }), 1);
    assert.equal(value(series, 'redis_master_link_up', master), 1);
    assert.equal(
      value(series, 'redis_master_last_io_seconds_ago', master),
      Number(info.fields.get('master_last_io_seconds_ago')),
    );
    assert.equal(value(series, 'redis_master_sync_in_progress', master), 0);
    assert.equal(value(series, 'redis_slave_repl_offset', master), Number(info.fields.get('slave_repl_offset')));
    assert.equal(value(series, 'redis_slave_priority'), Number(info.fields.get('slave_priority')));
    assert.equal(series.find((s) => s.name === 'redis_instance_info')!.labels.role, 'slave');
    const down = compat(edited(of('redis-7.0', 'replica'), { master_link_status: 'down' })).series;
    assert.equal(value(down, 'redis_master_link_up', master), 0);
  });

  it('redis_latency_percentiles_usec: µs, quantiles 50/99/99.9, sum and count from commandstats', () => {
    const info = parseInfo(fixture(of('redis-7.0')));
    const { series, shapes } = compat(info);
    assert.equal(shapes.get('redis_latency_percentiles_usec')!.type, 'summary');
    const [key, pct] = [...info.sections.get('latencystats')!][0];
    const cmd = key.slice('latency_percentiles_usec_'.length);
    const stat = info.sections.get('commandstats')!.get(`cmdstat_${cmd}`)!;
    assert.equal(
      value(series, 'redis_latency_percentiles_usec', { cmd, quantile: '99.9' }),
      Number(/p99\.9=([\d.]+)/.exec(pct)![1]),
    );
    assert.ok(series.some((s) => s.labels.quantile === '50'));
    assert.equal(value(series, 'redis_latency_percentiles_usec_sum', { cmd }), Number(/usec=(\d+)/.exec(stat)![1]));
    assert.equal(value(series, 'redis_latency_percentiles_usec_count', { cmd }), Number(/calls=(\d+)/.exec(stat)![1]));
    // Redis 6.2 has no latencystats: no summary.
    assert.equal(compat(parseInfo(fixture(of('redis-6.2')))).shapes.has('redis_latency_percentiles_usec'), false);
  });

  it('redis_start_time_seconds: ours from server_time_usec; on Redis < 6.2 (none) the exporter way, clock minus uptime', () => {
    const info = parseInfo(fixture(of('redis-7.0')));
    const ours = value(compat(info).series, 'redis_start_time_seconds');
    assert.equal(
      ours,
      value(parseExposition(renderText(redisFamilies(info), 'prometheus')), 'redis_start_time_seconds'),
    );
    info.fields.delete('server_time_usec');
    assert.equal(
      redisFamilies(info).some((f) => f.name === 'redis_start_time_seconds'),
      false,
    );
    assert.equal(
      value(compat(info).series, 'redis_start_time_seconds'),
      1795708900 - Number(info.fields.get('uptime_in_seconds')),
    );
  });

  it('the keyspace as the exporter reads it: by position (Redis 7.4 subexpiry is redis_db_keys_cached)', () => {
    const info = parseInfo(fixture(of('redis-7.4')));
    const { series } = compat(info);
    const fourth = info.sections.get('keyspace')!.get('db0')!.split(',')[3];
    assert.match(fourth, /^subexpiry=\d+$/);
    assert.equal(value(series, 'redis_db_keys_cached', { db: 'db0' }), Number(fourth.split('=')[1]));
    assert.equal(compat(parseInfo(fixture(of('redis-7.0')))).shapes.has('redis_db_keys_cached'), false);
  });

  it('pads to CONFIG databases (at most 1024); 16 when CONFIG is refused; 1 in cluster mode', () => {
    const info = parseInfo(fixture(of('redis-7.0')));
    const dbs = (reads: CompatReads, i = info) =>
      compat(i, reads)
        .series.filter((s) => s.name === 'redis_db_keys')
        .map((s) => s.labels.db);
    assert.deepEqual(dbs({ ...NO_READS, config: new Map([['databases', 4]]) }), ['db0', 'db1', 'db2', 'db3']);
    assert.equal(dbs(NO_READS).length, 16);
    assert.equal(dbs({ ...NO_READS, config: new Map([['databases', 1_000_000]]) }).length, 1024, 'bounded');
    assert.deepEqual(dbs(NO_READS, edited(of('redis-7.0'), { cluster_enabled: '1' })), ['db0', 'db3']);
  });

  it('leaves out what Redis refused to tell: no redis_config_*, slow log or latency families', () => {
    const { shapes } = compat(parseInfo(fixture(of('redis-7.0'))), NO_READS);
    for (const f of EXPORTER_FAMILIES.filter((e) => e.source !== 'INFO'))
      assert.equal(shapes.has(f.name), false, f.name);
    const empty = compat(parseInfo(fixture(of('redis-7.0'))), { ...NO_READS, latency: [] }).shapes;
    assert.equal(empty.has('redis_latency_spike_last'), false);
  });

  it('the table: one entry per name, none left out, shared and reshaped names are ours', () => {
    const names = EXPORTER_FAMILIES.map((f) => f.name);
    assert.deepEqual(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
    );
    for (const n of names) assert.ok(!isLeftOut(n), n);
    const nativeNames = new Set([
      ...FIXTURES.flatMap((f) => redisFamilies(parseInfo(fixture(f))).map((x) => x.name)),
      ...SCALAR_METRICS.map((m) => m.name), // fields the fixtures lack (AOF on, a replica syncing)
    ]);
    for (const f of EXPORTER_FAMILIES) {
      if (f.treatment === 'added') assert.ok(!nativeNames.has(f.name), `${f.name} is ours too`);
      else assert.equal(f.native, f.name, f.name);
      if (f.native !== null) assert.ok(nativeNames.has(f.native), f.native);
    }
  });
});
