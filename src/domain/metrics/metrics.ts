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
import { ByteText } from './byte-text.js';
import { CONTENT_TYPES, ENDINGS, renderInto, type Family, type Format } from './exposition.js';
import { ProcessMetrics } from './process-metrics.js';
import { FAILURE_KINDS, RedisScraper, type ScrapeOutcome } from './scraper.js';

export interface Exposition {
  contentType: string;
  /** Bytes, as rendered (exposition.ts): sending a string would scan it twice more (length, then encoding). */
  body: Buffer;
}

/** The body of every exposition is written here, then copied out (byte-text.ts). */
const bodyText = new ByteText();
/** The end of every exposition (`Metrics.tail`) is written here. */
const tailText = new ByteText();

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
    // INFO is sent at once; the end of the body, which does not depend on it, is rendered while
    // Redis answers (at one scraper the main thread would otherwise idle through the round trip).
    const [outcome, tail] = await Promise.all([this.scraper.scrape(), this.tail(format)]);
    // Written into one buffer, from here to the end without an await (so no other scrape uses it meanwhile).
    const out = bodyText.clear();
    renderInto(out, this.healthFamilies(outcome), format);
    let redisFrom = -1;
    let redisTo = -1;
    if (outcome.families) {
      const shared = this.rendered.get(outcome)?.[format];
      if (shared) out.bytes(shared);
      else {
        redisFrom = out.length;
        renderInto(out, outcome.families, format);
        redisTo = out.length;
      }
    }
    out.bytes(tail);
    const body = out.take();
    if (redisFrom >= 0) this.share(outcome, format, body.subarray(redisFrom, redisTo));
    return { contentType: CONTENT_TYPES[format], body };
  }

  /** The manager's own families, the process metrics and the exposition's end, as bytes. */
  private async tail(format: Format): Promise<Buffer> {
    const processMetrics = await this.process.collect(format);
    // Its own buffer, taken before any await: another scrape's tail may be rendered meanwhile.
    const out = tailText.clear();
    renderInto(out, this.managerFamilies(), format);
    out.bytes(processMetrics.runtime);
    renderInto(out, processMetrics.http, format);
    out.bytes(ENDINGS[format]);
    return out.take();
  }

  // Scrapes that shared one INFO call share its rendering too: the Redis part of the first
  // one's body (a view of it, not a copy).
  private readonly rendered = new WeakMap<ScrapeOutcome, Partial<Record<Format, Buffer>>>();

  private share(outcome: ScrapeOutcome, format: Format, bytes: Buffer): void {
    let byFormat = this.rendered.get(outcome);
    if (byFormat === undefined) this.rendered.set(outcome, (byFormat = {}));
    byFormat[format] = bytes;
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
