// The manager's own metrics: process and Node.js runtime metrics through prom-client, and
// the duration of the HTTP requests it serves, by route (http-histogram.ts). Each Instance
// has its own, so managers in one process (tests) do not mix their numbers.
import { collectDefaultMetrics, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { renderBytes, type Family, type Format, type MetricType, type Sample } from './exposition.js';
import { HttpHistogram } from './http-histogram.js';

export const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ProcessMetrics {
  private readonly runtime = new Registry();
  private readonly httpDuration = new HttpHistogram(
    'http_request_duration_seconds',
    'Duration of HTTP requests the manager served, in seconds, by route template, method and status.',
    HTTP_BUCKETS,
  );
  private snapshot: { at: number; families: Promise<Family[]>; bytes: Partial<Record<Format, Buffer>> } | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.runtime });
  }

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.httpDuration.observe(route, method, status, seconds);
  }

  /**
   * Runtime metrics (at most a second old, see `runtimeFamilies`), rendered once per snapshot
   * and format; then the HTTP histogram (now), for the caller to render with the rest.
   */
  async collect(format: Format, now = Date.now()): Promise<{ runtime: Buffer; http: Family[] }> {
    const runtime = await this.runtimeFamilies(now);
    const bytes = this.snapshot!.bytes;
    return { runtime: (bytes[format] ??= renderBytes(runtime, format)), http: [this.httpDuration.family()] };
  }

  /**
   * Collected at most once per second: collecting them (event-loop delay percentiles, /proc
   * reads) costs more than a whole Redis scrape, and a value up to one second old is current
   * for a process that Prometheus scrapes every few seconds.
   */
  private runtimeFamilies(now: number): Promise<Family[]> {
    if (this.snapshot === undefined || now - this.snapshot.at >= 1000) {
      this.snapshot = { at: now, families: registryFamilies(this.runtime), bytes: {} };
    }
    return this.snapshot.families;
  }
}

/** The families of a prom-client registry, in the model the renderer takes. */
export async function registryFamilies(registry: Registry): Promise<Family[]> {
  const metrics = await registry.getMetricsAsJSON();
  // prom-client names three gauges `…_total`; `_total` is for counters only here (and in
  // OpenMetrics), and their per-type siblings carry the same numbers.
  return metrics.filter((m) => !(String(m.type) === 'gauge' && m.name.endsWith('_total'))).map(toFamily);
}

function toFamily(metric: MetricObjectWithValues<MetricValue<string>>): Family {
  const type = String(metric.type) as MetricType;
  const samples: Sample[] = metric.values.map((v) => {
    const labels: Record<string, string> = {};
    for (const [k, value] of Object.entries(v.labels)) if (value !== undefined) labels[k] = String(value);
    const metricName = (v as { metricName?: string }).metricName;
    const suffix =
      metricName !== undefined && metricName !== metric.name ? metricName.slice(metric.name.length) : undefined;
    return suffix === undefined ? { labels, value: v.value } : { suffix, labels, value: v.value };
  });
  return { name: metric.name, type, help: metric.help, samples };
}
