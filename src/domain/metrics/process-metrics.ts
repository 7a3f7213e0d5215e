// The manager's own metrics through prom-client: process and Node.js runtime metrics, and
// the duration of the HTTP requests it serves, by route. Each Instance has its own
// registry, so managers in one process (tests) do not mix their numbers.
import { collectDefaultMetrics, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Family, MetricType, Sample } from './exposition.js';

const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ProcessMetrics {
  private readonly registry = new Registry();
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration of HTTP requests the manager served, in seconds, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: HTTP_BUCKETS,
      registers: [this.registry],
    });
  }

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.httpDuration.observe({ route, method, status: String(status) }, seconds);
  }

  async families(): Promise<Family[]> {
    const metrics = await this.registry.getMetricsAsJSON();
    // prom-client names three gauges `…_total`; `_total` is for counters only here (and in
    // OpenMetrics), and their per-type siblings carry the same numbers.
    return metrics.filter((m) => !(String(m.type) === 'gauge' && m.name.endsWith('_total'))).map(toFamily);
  }
}

function toFamily(metric: MetricObjectWithValues<MetricValue<string>>): Family {
  const type = String(metric.type) as MetricType;
  const samples: Sample[] = metric.values.map((v) => {
    const labels: Record<string, string> = {};
    for (const [k, value] of Object.entries(v.labels)) if (value !== undefined) labels[k] = String(value);
    const metricName = (v as { metricName?: string }).metricName;
    const suffix = metricName !== undefined && metricName !== metric.name ? metricName.slice(metric.name.length) : undefined;
    return suffix === undefined ? { labels, value: v.value } : { suffix, labels, value: v.value };
  });
  return { name: metric.name, type, help: metric.help, samples };
}
