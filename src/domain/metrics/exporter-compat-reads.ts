// The reads compat mode makes besides INFO, on the scrape connection:
//   - SLOWLOG LEN, SLOWLOG GET 1 and LATENCY LATEST, sent together with INFO (one round trip;
//     about 2 µs of Redis time against INFO all's ~80 µs), at most once a second: like the
//     process metrics (process-metrics.ts), a value up to a second old is current for a
//     Prometheus that scrapes every few seconds, and a burst of scrapes then costs the
//     manager ~80 µs of CPU once instead of at each scrape;
//   - CONFIG GET databases/maxclients/maxmemory/io-threads at most once per 30 s, and again
//     as soon as Redis restarts (a new run_id) — never once per scrape, unlike the exporter's
//     CONFIG GET * (the costliest thing it does).
// A read Redis refuses (a renamed command, an ACL) leaves its families out; it never fails
// the scrape.
import type { Info } from '../../redis/info.js';
import type { Family } from './exposition.js';
import { withExporterFamilies, type CompatReads, type LatencyEvent } from './exporter-compat.js';
import { CONFIG_PARAMETERS } from './exporter-compat-table.js';
import type { ScrapeExtension } from './scraper.js';

export interface CommandSource {
  command(name: string, ...args: (string | number)[]): Promise<unknown>;
}

export const CONFIG_REFRESH_MS = 30_000;
export const LIVE_REFRESH_MS = 1000;

type LiveReads = Promise<[CompatReads['slowlog'], CompatReads['latency']]>;

interface CachedConfig {
  at: number;
  runId: string | undefined;
  values: ReadonlyMap<string, number> | undefined;
}

export class ExporterCompat implements ScrapeExtension {
  private config: CachedConfig | undefined;
  private refreshing: Promise<CachedConfig> | undefined;
  private live: { at: number; reads: LiveReads } | undefined;

  constructor(
    private readonly redis: CommandSource,
    private readonly now: () => number = Date.now,
  ) {}

  begin(): (info: Info, native: Family[]) => Promise<Family[]> {
    const now = this.now();
    if (this.live === undefined || now - this.live.at >= LIVE_REFRESH_MS) {
      this.live = { at: now, reads: Promise.all([this.slowlog(), this.latency()]) };
    }
    const live = this.live.reads;
    return async (info, native) => {
      const [slowlog, latency] = await live;
      const runId = info.fields.get('run_id');
      // Nearly every scrape finds the cache fresh: no promise to make and wait for then.
      const fresh = this.cachedConfig(runId);
      const config = fresh !== null ? fresh : await this.readConfigShared(runId);
      return withExporterFamilies(info, native, { config, slowlog, latency, now: this.now() });
    };
  }

  /** The cached CONFIG values if at most CONFIG_REFRESH_MS old and from this redis-server, else null. */
  private cachedConfig(runId: string | undefined): CompatReads['config'] | null {
    const cached = this.config;
    return cached && cached.runId === runId && this.now() - cached.at < CONFIG_REFRESH_MS ? cached.values : null;
  }

  /** CONFIG values read afresh, from the redis-server that answered this INFO; one read for concurrent scrapes. */
  private async readConfigShared(runId: string | undefined): Promise<CompatReads['config']> {
    this.refreshing ??= this.readConfig(runId).finally(() => (this.refreshing = undefined));
    this.config = await this.refreshing;
    return this.config.values;
  }

  private async readConfig(runId: string | undefined): Promise<CachedConfig> {
    const at = this.now();
    // One parameter per call: several in one CONFIG GET need Redis 7.
    const replies = await Promise.all(
      CONFIG_PARAMETERS.map((p) => this.redis.command('CONFIG', 'GET', p).catch(() => undefined)),
    );
    const values = new Map<string, number>();
    for (const reply of replies) {
      if (!Array.isArray(reply)) continue;
      for (let i = 0; i + 1 < reply.length; i += 2) {
        const n = Number(String(reply[i + 1]));
        if (String(reply[i + 1]).trim() !== '' && Number.isFinite(n)) values.set(String(reply[i]), n);
      }
    }
    // Refused altogether (CONFIG renamed away): the families are left out, as the exporter does.
    return { at, runId, values: replies.every((r) => r === undefined) ? undefined : values };
  }

  private async slowlog(): Promise<CompatReads['slowlog']> {
    const [length, newest] = await Promise.all([
      this.redis.command('SLOWLOG', 'LEN').catch(() => undefined),
      this.redis.command('SLOWLOG', 'GET', 1).catch(() => undefined),
    ]);
    if (typeof length !== 'number' || !Array.isArray(newest)) return undefined;
    // An entry: [id, unix time, duration in µs, args, client address, client name].
    const entry: unknown = newest[0];
    const [id, , usec] = Array.isArray(entry) ? (entry as unknown[]) : [];
    return {
      length,
      lastId: typeof id === 'number' ? id : 0,
      lastDurationSeconds: typeof usec === 'number' ? usec / 1e6 : 0,
    };
  }

  private async latency(): Promise<CompatReads['latency']> {
    const reply = await this.redis.command('LATENCY', 'LATEST').catch(() => undefined);
    if (!Array.isArray(reply)) return undefined;
    const events: LatencyEvent[] = [];
    // An event: [name, unix time of the latest spike, its duration in ms, the largest in ms].
    for (const e of reply as unknown[]) {
      if (!Array.isArray(e)) continue;
      const [event, last, latestMs] = e as unknown[];
      if (typeof event !== 'string' || typeof last !== 'number' || typeof latestMs !== 'number') continue;
      events.push({ event, lastTimestamp: last, latestSeconds: latestMs / 1e3 });
    }
    return events;
  }
}
