// Parsing of the INFO reply. Pure functions; fields are always looked up by name, never by
// position, so versions that add fields (Redis 7.4 `subexpiry`, Valkey) parse the same way.

/** INFO as sections of name → raw value. Section names are lower-case ("replication"). */
export interface Info {
  sections: Map<string, Map<string, string>>;
  /** Every field of every section, for look-ups that do not care about the section. */
  fields: Map<string, string>;
}

export function parseInfo(text: string): Info {
  const sections = new Map<string, Map<string, string>>();
  const fields = new Map<string, string>();
  let current = new Map<string, string>();
  sections.set('', current);
  // Walked by index rather than split into lines: each key and value is sliced once out of
  // the reply, with no line strings in between (a scrape parses a 10-20 KB INFO all; this
  // was a tenth of its CPU).
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start);
    const next = newline === -1 ? text.length : newline + 1;
    let end = newline === -1 ? text.length : newline;
    if (end > start && text.charCodeAt(end - 1) === 13 /* \r */) end--;
    if (end > start) {
      if (text.charCodeAt(start) === 35 /* # */) {
        const name = text
          .slice(start + 1, end)
          .trim()
          .toLowerCase();
        current = sections.get(name) ?? new Map<string, string>();
        sections.set(name, current);
      } else {
        const colon = text.indexOf(':', start);
        if (colon > start && colon < end) {
          const key = text.slice(start, colon);
          const value = text.slice(colon + 1, end);
          current.set(key, value);
          fields.set(key, value);
        }
      }
    }
    start = next;
  }
  return { sections, fields };
}

/**
 * The one walk over a `k1=v1,k2=v2` value (slaveN, dbN, cmdstat_*, errorstat_*, latency
 * percentiles): `part` is called for each part with a key, that is an `=` after at least one
 * character, with the indexes of the key's start, the `=` and the part's end. Readers slice
 * only what they keep.
 */
function eachPart(value: string, part: (start: number, eq: number, end: number) => void): void {
  for (let start = 0; start < value.length;) {
    let end = value.indexOf(',', start);
    if (end === -1) end = value.length;
    const eq = value.indexOf('=', start);
    if (eq > start && eq < end) part(start, eq, end);
    start = end + 1;
  }
}

/** Parses `k1=v1,k2=v2` values into a map (the last part with a key wins). */
export function parseKeyValues(value: string): Map<string, string> {
  const out = new Map<string, string>();
  eachPart(value, (start, eq, end) => out.set(value.slice(start, eq), value.slice(eq + 1, end)));
  return out;
}

/**
 * The value of one key of a `k1=v1,k2=v2` value, as `parseKeyValues(value).get(key)` gives it
 * (the last part with that key) but without building the map: a scrape reads a few keys of
 * each of dozens of cmdstat_* lines.
 */
export function keyValue(value: string, key: string): string | undefined {
  return keyValues(value, [key])[0];
}

/**
 * The values of several keys of a `k1=v1,k2=v2` value, each as `keyValue` gives it, in one pass
 * over the value (a cmdstat_* line has four that a scrape reads).
 */
export function keyValues(value: string, keys: readonly string[]): (string | undefined)[] {
  const found: (string | undefined)[] = keys.map(() => undefined);
  eachPart(value, (start, eq, end) => {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key.length === eq - start && value.startsWith(key, start)) found[i] = value.slice(eq + 1, end);
    }
  });
  return found;
}

export function field(info: Info, name: string): string | undefined {
  return info.fields.get(name);
}

/** A numeric field, or undefined when absent or not a finite number. */
export function numberField(info: Info, name: string): number | undefined {
  return toNumber(info.fields.get(name));
}

export function toNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const int = smallInteger(value);
  if (int !== undefined) return int;
  if (value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * `Number(value)` for a plain integer of at most 15 digits (`-` allowed), read digit by digit;
 * undefined for anything else. Most INFO values are such integers, and Number() of a string is
 * a call into the runtime; below 10^15 the sum of digits is exact.
 */
export function smallInteger(value: string): number | undefined {
  const negative = value.charCodeAt(0) === 45; /* - */
  const start = negative ? 1 : 0;
  const length = value.length;
  if (length === start || length - start > 15) return undefined;
  let n = 0;
  for (let i = start; i < length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

export interface ConnectedReplica {
  index: number;
  host: string;
  port: number;
  state: string;
  offset: number;
  /** Seconds since the replica's last ACK; undefined when Redis does not say. */
  lag: number | undefined;
}

/** The `slaveN:ip=…,port=…,state=…,offset=…,lag=…` lines of INFO replication. */
export function connectedReplicas(info: Info): ConnectedReplica[] {
  const replication = info.sections.get('replication') ?? info.fields;
  const replicas: ConnectedReplica[] = [];
  for (const [key, value] of replication) {
    const m = /^slave(\d+)$/.exec(key);
    if (!m) continue;
    const kv = parseKeyValues(value);
    replicas.push({
      index: Number(m[1]),
      host: kv.get('ip') ?? '',
      port: toNumber(kv.get('port')) ?? 0,
      state: kv.get('state') ?? 'unknown',
      offset: toNumber(kv.get('offset')) ?? 0,
      lag: toNumber(kv.get('lag')),
    });
  }
  return replicas.sort((a, b) => a.index - b.index);
}

/** True on a replica (INFO says `role:slave`). */
export function isReplica(info: Info): boolean {
  return info.fields.get('role') === 'slave';
}

/**
 * The replication offset this node has reached: on a replica what it processed from its
 * primary (slave_repl_offset, falling back to master_repl_offset), on a primary what it wrote.
 */
export function replicationOffset(info: Info): number | undefined {
  const own = toNumber(info.fields.get('master_repl_offset'));
  return isReplica(info) ? (toNumber(info.fields.get('slave_repl_offset')) ?? own) : own;
}

export interface KeyspaceDb {
  /** `db0`, `db1`… */
  name: string;
  /** Every `k=v` field of the line, by name (keys, expires, avg_ttl, subexpiry, …). */
  fields: Map<string, string>;
  keys: number;
}

/**
 * What is derived from one parsed INFO, derived once: our families and compat mode's both read
 * the keyspace, commandstats and latencystats lines of the same reply. The result is shared:
 * never mutated by its readers.
 */
function perInfo<T>(derive: (info: Info) => T): (info: Info) => T {
  const derived = new WeakMap<Info, T>();
  return (info) => {
    let value = derived.get(info);
    if (value === undefined) derived.set(info, (value = derive(info)));
    return value;
  };
}

/** The `dbN:keys=…,expires=…` lines of INFO keyspace, read by field name. */
export const keyspace = perInfo((info): readonly KeyspaceDb[] => {
  const out: KeyspaceDb[] = [];
  for (const [name, value] of info.sections.get('keyspace') ?? []) {
    if (!/^db\d+$/.test(name)) continue;
    const fields = parseKeyValues(value);
    out.push({ name, fields, keys: toNumber(fields.get('keys')) ?? 0 });
  }
  return out;
});

export interface CommandStat {
  calls: number | undefined;
  usec: number | undefined;
  rejectedCalls: number | undefined;
  failedCalls: number | undefined;
}

/** What a `cmdstat_*` line gives, read in one pass. */
const CMDSTAT_KEYS = ['calls', 'usec', 'rejected_calls', 'failed_calls'];
const CMDSTAT_PREFIX = 'cmdstat_';

/** The `cmdstat_<cmd>:calls=…,usec=…,…` lines of INFO commandstats, by command, in INFO's order. */
export const commandStats = perInfo((info): ReadonlyMap<string, CommandStat> => {
  const out = new Map<string, CommandStat>();
  for (const [key, value] of info.sections.get('commandstats') ?? []) {
    if (!key.startsWith(CMDSTAT_PREFIX)) continue;
    const [calls, usec, rejected, failed] = keyValues(value, CMDSTAT_KEYS);
    out.set(key.slice(CMDSTAT_PREFIX.length), {
      calls: toNumber(calls),
      usec: toNumber(usec),
      rejectedCalls: toNumber(rejected),
      failedCalls: toNumber(failed),
    });
  }
  return out;
});

export interface CommandLatency {
  cmd: string;
  /** `[percentile, usec]` as written: `p99.9=4.015` is `['99.9', '4.015']`. */
  percentiles: [string, string][];
}

const LATENCY_PREFIX = 'latency_percentiles_usec_';

/** The `latency_percentiles_usec_<cmd>:p50=…,p99=…,p99.9=…` lines of INFO latencystats (Redis 7.0+). */
export const latencyStats = perInfo((info): readonly CommandLatency[] => {
  const out: CommandLatency[] = [];
  for (const [key, value] of info.sections.get('latencystats') ?? []) {
    if (key.startsWith(LATENCY_PREFIX))
      out.push({ cmd: key.slice(LATENCY_PREFIX.length), percentiles: percentiles(value) });
  }
  return out;
});

/** The `pN=V` parts of a latencystats value, as `[N, V]`; any other part is skipped. */
export function percentiles(value: string): [string, string][] {
  const out: [string, string][] = [];
  eachPart(value, (start, eq, end) => {
    if (value.charCodeAt(start) === 112 /* p */) out.push([value.slice(start + 1, eq), value.slice(eq + 1, end)]);
  });
  return out;
}
