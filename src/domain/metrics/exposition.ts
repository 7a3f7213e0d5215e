// The exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0, rendered from one
// in-memory model. Hand-rolled because a scrape renders hundreds of Redis series from a
// fresh INFO reply each time; building prom-client metric objects for them would cost more
// than the INFO call itself. Pure.
import { renderLabels, type Labels } from './label-sets.js';

export { escapeLabelValue, type Labels } from './label-sets.js';

export type MetricType = 'gauge' | 'counter' | 'summary' | 'histogram';
export type Format = 'prometheus' | 'openmetrics';

export const CONTENT_TYPES: Record<Format, string> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

export interface Sample {
  /** The series name when it differs from the family's (`_bucket`, `_sum`, `_count`). */
  suffix?: string;
  labels?: Labels;
  value: number;
}

export interface Family {
  /** The full name; counters end in `_total`. */
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

/** The format a scraper asked for: OpenMetrics only when its Accept header names it. */
export function negotiateFormat(accept: string | undefined): Format {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus';
}

export function renderValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * Appends one family. Families with no samples are left out (a family that says nothing is
 * noise). OpenMetrics names a counter family without its `_total`; its samples keep it.
 */
function renderFamily(out: string[], family: Family, format: Format): void {
  if (family.samples.length === 0) return;
  out.push(header(family, format));
  const name = family.name;
  for (const sample of family.samples) {
    out.push(`${name}${sample.suffix ?? ''}${renderLabels(sample.labels)} ${renderValue(sample.value)}\n`);
  }
}

// HELP and TYPE lines are the same at every scrape: built once per family name and format
// (a name always has the same type and HELP: they come from the code's tables).
const headers: Record<Format, Map<string, string>> = { prometheus: new Map(), openmetrics: new Map() };

function header(family: Family, format: Format): string {
  const cache = headers[format];
  let text = cache.get(family.name);
  if (text === undefined) {
    const name =
      format === 'openmetrics' && family.type === 'counter' && family.name.endsWith('_total')
        ? family.name.slice(0, -'_total'.length)
        : family.name;
    text = `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`;
    // Bounded: family names come from the code's tables, not from Redis.
    if (cache.size < 10_000) cache.set(family.name, text);
  }
  return text;
}

/** Renders whole families; the caller joins parts from several sources and then calls `finish`. */
export function render(families: Iterable<Family>, format: Format, out: string[] = []): string[] {
  for (const family of families) renderFamily(out, family, format);
  return out;
}

/** The exposition's end: OpenMetrics requires `# EOF`. */
export function finish(out: string[], format: Format): string {
  if (format === 'openmetrics') out.push('# EOF\n');
  return out.join('');
}
