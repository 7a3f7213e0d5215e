// GET /metrics, assembled: scrape health and the Redis families of one (shared) INFO call,
// then the manager's own process and HTTP metrics. A failed scrape shows `redis_up 0` and
// no Redis series at all, so nothing stale is ever presented as current.
//
// Counters and Redis restarts: Redis counters start again from 0 when redis-server restarts
// (or on CONFIG RESETSTAT). They are exposed as Redis reports them; Prometheus's rate(),
// increase() and resets() treat any decrease as a counter reset, so no negative rate can
// arise and none is papered over by carrying old totals forward. A restart is visible as a
// new run_id label on redis_instance_info, a new redis_start_time_seconds, and
// redis_restarts_observed_total (run_id changes seen between two scrapes).
import type { MetricsCompat } from '../../config/config.js';
import { RedisAdapter, type RedisEndpoint } from '../../redis/adapter.js';
import { ExporterCompat } from './exporter-compat-reads.js';
import { CONTENT_TYPES, finish, render, type Family, type Format } from './exposition.js';
import { ProcessMetrics } from './process-metrics.js';
import { FAILURE_KINDS, RedisScraper, type ScrapeOutcome } from './scraper.js';

export interface Exposition {
  contentType: string;
  /** Encoded once here: sending a string would scan it twice more (length, then encoding). */
  body: Buffer;
}

export class Metrics {
  readonly process = new ProcessMetrics();
  private readonly scraper: RedisScraper;

  /**
   * @param redis the scrape connection: dedicated, kept open, bounded by the scrape timeout
   * @param supervisorRestarts restarts of redis-server the supervisor performed (0 when attached)
   */
  constructor(
    private readonly redis: RedisAdapter,
    private readonly supervisorRestarts: () => number,
    /** The manager's own domain figures (backups), read at every scrape. */
    private readonly managerFamilies: () => Family[] = () => [],
    /** `--metrics-compat`: also the families of another exporter (see exporter-compat.ts). */
    private readonly compat?: MetricsCompat,
  ) {
    this.scraper = new RedisScraper(redis, compat === 'redis_exporter' ? new ExporterCompat(redis) : undefined);
  }

  static connect(
    endpoint: RedisEndpoint,
    timeoutMs: number,
    supervisorRestarts: () => number,
    managerFamilies?: () => Family[],
    compat?: MetricsCompat,
  ): Metrics {
    return new Metrics(
      new RedisAdapter(endpoint, timeoutMs, 'instance-manager-metrics'),
      supervisorRestarts,
      managerFamilies,
      compat,
    );
  }

  /**
   * The exposition in the format asked for; in redis_exporter compat mode always the
   * Prometheus text format, as the exporter answers: OpenMetrics names a counter family
   * without its `_total`, so the exporter's counter redis_dump_payload_sanitizations and our
   * redis_dump_payload_sanitizations_total would be one family declared twice, and the
   * exporter's counters without `_total` cannot be written in OpenMetrics at all.
   */
  async exposition(asked: Format): Promise<Exposition> {
    const format = this.compat === 'redis_exporter' ? 'prometheus' : asked;
    const [outcome, processText] = await Promise.all([this.scraper.scrape(), this.process.render(format)]);
    const out = render(this.healthFamilies(outcome), format);
    if (outcome.families) out.push(this.renderRedis(outcome, format));
    out.push(...render(this.managerFamilies(), format), processText);
    return { contentType: CONTENT_TYPES[format], body: encode(finish(out, format)) };
  }

  // Scrapes that shared one INFO call share its rendering too.
  private readonly rendered = new WeakMap<ScrapeOutcome, Partial<Record<Format, string>>>();

  private renderRedis(outcome: ScrapeOutcome, format: Format): string {
    let byFormat = this.rendered.get(outcome);
    if (byFormat === undefined) this.rendered.set(outcome, (byFormat = {}));
    return (byFormat[format] ??= render(outcome.families ?? [], format).join(''));
  }

  private healthFamilies(outcome: ScrapeOutcome): Family[] {
    return [
      {
        name: 'redis_up',
        type: 'gauge',
        help: '1 if the INFO call of this scrape to Redis succeeded, 0 otherwise.',
        samples: [{ value: outcome.families ? 1 : 0 }],
      },
      {
        name: 'redis_scrape_duration_seconds',
        type: 'gauge',
        help: 'Duration of the INFO call of this scrape and its parsing, in seconds.',
        samples: [{ value: outcome.durationSeconds }],
      },
      {
        name: 'redis_scrape_failures_total',
        type: 'counter',
        help: 'INFO calls that failed, by kind: timeout, connection (refused, reset, error reply) or parse.',
        samples: FAILURE_KINDS.map((kind) => ({ labels: { kind }, value: this.scraper.failures[kind] })),
      },
      {
        name: 'redis_restarts_observed_total',
        type: 'counter',
        help: 'Changes of the Redis run_id seen between scrapes: restarts, after which Redis counters begin again at 0.',
        samples: [{ value: this.scraper.restartsObserved }],
      },
      {
        name: 'instance_manager_redis_restarts_total',
        type: 'counter',
        help: 'Times the manager restarted redis-server after it exited.',
        samples: [{ value: this.supervisorRestarts() }],
      },
    ];
  }

  async close(): Promise<void> {
    await this.redis.close();
  }
}

/**
 * UTF-8 bytes of the exposition. It is ASCII unless Redis put other characters in a label
 * (an error prefix from a script): ASCII encodes as latin1, a plain copy, about five times
 * faster than the UTF-8 encoder. A UTF-8 length equal to the character count means ASCII.
 */
export function encode(text: string): Buffer {
  return Buffer.byteLength(text, 'utf8') === text.length ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
}
