// One `INFO all` per scrape on a connection of its own (kept open, apart from the probes'
// connection, so a slow scrape never delays a probe). Scrapes that arrive while one is in
// flight share its result: four scrapers at once cost Redis one INFO call.
import { parseInfo, type Info } from '../../redis/info.js';
import { RedisReplyError, RedisUnreachableError } from '../../redis/adapter.js';
import type { Family } from './exposition.js';
import { InfoParseError, redisFamilies } from './info-families.js';

export type FailureKind = 'timeout' | 'connection' | 'parse';
export const FAILURE_KINDS: readonly FailureKind[] = ['timeout', 'connection', 'parse'];

export interface ScrapeOutcome {
  /** The Redis families of this scrape; null when Redis did not answer (nothing stale is kept). */
  families: Family[] | null;
  failure: FailureKind | null;
  durationSeconds: number;
  /** run_id of the answering redis-server. */
  runId: string | undefined;
}

export interface InfoSource {
  info(section: 'all'): Promise<string>;
}

/** More families from the same INFO (compat mode), with reads of its own sent alongside INFO. */
export interface ScrapeExtension {
  /**
   * Called as INFO is sent: starts the extension's reads (same connection, same round trip)
   * and returns what turns INFO's families into the exposed ones. Neither ever rejects.
   */
  begin(): (info: Info, native: Family[]) => Promise<Family[]>;
}

export class RedisScraper {
  readonly failures: Record<FailureKind, number> = { timeout: 0, connection: 0, parse: 0 };
  /** run_id changes seen between successful scrapes: Redis restarted, its counters began at 0. */
  restartsObserved = 0;
  private lastRunId: string | undefined;
  private inflight: Promise<ScrapeOutcome> | undefined;

  constructor(
    private readonly redis: InfoSource,
    private readonly extension?: ScrapeExtension,
  ) {}

  scrape(): Promise<ScrapeOutcome> {
    this.inflight ??= this.run().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async run(): Promise<ScrapeOutcome> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    let text: string;
    const extend = this.extension?.begin();
    try {
      text = await this.redis.info('all');
    } catch (err) {
      return this.failed(classify(err), elapsed());
    }
    try {
      const info = parseInfo(text);
      const native = redisFamilies(info);
      const families = extend ? await extend(info, native) : native;
      const runId = info.fields.get('run_id');
      if (runId !== undefined) {
        if (this.lastRunId !== undefined && runId !== this.lastRunId) this.restartsObserved++;
        this.lastRunId = runId;
      }
      return { families, failure: null, durationSeconds: elapsed(), runId };
    } catch (err) {
      if (err instanceof InfoParseError) return this.failed('parse', elapsed());
      throw err;
    }
  }

  private failed(kind: FailureKind, durationSeconds: number): ScrapeOutcome {
    this.failures[kind]++;
    return { families: null, failure: kind, durationSeconds, runId: undefined };
  }
}

/** A failure's kind; the message itself never leaves this function. */
export function classify(err: unknown): FailureKind {
  if (err instanceof RedisUnreachableError) return err.reason;
  // An error reply to INFO (NOAUTH, a proxy refusing it): Redis cannot be scraped on this connection.
  if (err instanceof RedisReplyError) return 'connection';
  return 'connection';
}
