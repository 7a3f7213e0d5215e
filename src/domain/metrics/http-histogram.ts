// The duration of the HTTP requests the manager serves, by route template, method and status:
// a histogram of its own rather than prom-client's, whose export made, at every scrape, an
// object per bucket and series and a fresh label set for each, then rendered afresh (some
// 50 µs of a scrape with three routes). Here each series keeps its label sets (label-sets.ts),
// so its lines' starts are rendered once. It exposes exactly what prom-client 15 did: series
// in the order they were first observed, `le` first among a bucket's labels, cumulative
// buckets, `+Inf` = count, then `_sum` and `_count` (test/metrics/http-histogram.test.ts
// compares the two).
import type { Family, Sample } from './exposition.js';
import { keepLabels, type Labels } from './label-sets.js';

interface Series {
  labels: Labels;
  /** One per bound, then `+Inf`: `{le, route, method, status}`. */
  bucketLabels: Labels[];
  /** Observations per bound (not cumulative); those above the last bound count only in `count`. */
  counts: number[];
  sum: number;
  count: number;
}

/** Series past this many are still counted, with label sets made afresh at each scrape. */
const MAX_KEPT_SERIES = 4096;

export class HttpHistogram {
  /** By route, method and status: nothing is built to find a series. */
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();
  private readonly series: Series[] = [];

  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  observe(route: string, method: string, status: number, seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    let byMethod = this.byRoute.get(route);
    if (byMethod === undefined) this.byRoute.set(route, (byMethod = new Map<string, Map<number, Series>>()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map<number, Series>()));
    let series = byStatus.get(status);
    if (series === undefined) byStatus.set(status, (series = this.newSeries(route, method, String(status))));
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]) {
        series.counts[i]++;
        break;
      }
    }
    series.sum += seconds;
    series.count += 1;
  }

  private newSeries(route: string, method: string, status: string): Series {
    const keep = this.series.length < MAX_KEPT_SERIES ? keepLabels : (labels: Labels) => labels;
    const les = [...this.bounds.map(String), '+Inf'];
    const series: Series = {
      labels: keep({ route, method, status }),
      bucketLabels: les.map((le) => keep({ le, route, method, status })),
      counts: this.bounds.map(() => 0),
      sum: 0,
      count: 0,
    };
    this.series.push(series);
    return series;
  }

  /** The family as it stands now (no samples before the first observation). */
  family(): Family {
    const samples: Sample[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      for (let i = 0; i < s.counts.length; i++) {
        cumulative += s.counts[i];
        samples.push({ suffix: '_bucket', labels: s.bucketLabels[i], value: cumulative });
      }
      samples.push({ suffix: '_bucket', labels: s.bucketLabels[s.counts.length], value: s.count });
      samples.push({ suffix: '_sum', labels: s.labels, value: s.sum });
      samples.push({ suffix: '_count', labels: s.labels, value: s.count });
    }
    return { name: this.name, type: 'histogram', help: this.help, samples };
  }
}
