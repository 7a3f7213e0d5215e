// The exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0, rendered from one
// in-memory model. Hand-rolled because a scrape renders hundreds of Redis series from a
// fresh INFO reply each time; building prom-client metric objects for them would cost more
// than the INFO call itself. Pure.
import { Buffer } from 'node:buffer';
import { ByteText } from './byte-text.js';
import { writeLinePrefix, type Labels } from './label-sets.js';

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
 * Writes one family. Families with no samples are left out (a family that says nothing is
 * noise). OpenMetrics names a counter family without its `_total`; its samples keep it.
 */
function renderFamily(out: ByteText, family: Family, format: Format): void {
  const samples = family.samples;
  if (samples.length === 0) return;
  const name = family.name;
  const head = header(family, format);
  let i = 0;
  // Most families are one sample without labels (INFO's scalars): their HELP, TYPE and the
  // start of the line are one copy.
  if (samples[0].labels === undefined && samples[0].suffix === undefined) {
    out.bytes((head.withBareLine ??= Buffer.concat([head.lines, Buffer.from(`${name} `, 'utf8')])));
    out.integerOr(samples[0].value, renderValue);
    out.byte(10 /* \n */);
    i = 1;
  } else out.bytes(head.lines);
  for (; i < samples.length; i++) {
    const sample = samples[i];
    writeLinePrefix(out, name, sample.suffix, sample.labels);
    out.integerOr(sample.value, renderValue);
    out.byte(10 /* \n */);
  }
}

interface Header {
  /** `# HELP …\n# TYPE …\n` */
  lines: Buffer;
  /** The same and `name `, the start of an unlabelled sample's line; made at its first use. */
  withBareLine: Buffer | undefined;
}

// HELP and TYPE lines are the same at every scrape: encoded once per family name and format
// (a name always has the same type and HELP: they come from the code's tables).
const headers: Record<Format, Map<string, Header>> = { prometheus: new Map(), openmetrics: new Map() };

function header(family: Family, format: Format): Header {
  const cache = headers[format];
  let head = cache.get(family.name);
  if (head === undefined) {
    const name =
      format === 'openmetrics' && family.type === 'counter' && family.name.endsWith('_total')
        ? family.name.slice(0, -'_total'.length)
        : family.name;
    const lines = Buffer.from(`# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`, 'utf8');
    head = { lines, withBareLine: undefined };
    // Bounded: family names come from the code's tables, not from Redis.
    if (cache.size < 10_000) cache.set(family.name, head);
  }
  return head;
}

/** Writes whole families into `out`, as UTF-8. */
export function renderInto(out: ByteText, families: Iterable<Family>, format: Format): void {
  for (const family of families) renderFamily(out, family, format);
}

// One builder for every rendering (it is synchronous: no two use it at once), so its buffer
// is allocated once.
const shared = new ByteText();

/** The UTF-8 bytes of whole families. */
export function renderBytes(families: Iterable<Family>, format: Format): Buffer {
  renderInto(shared.clear(), families, format);
  return shared.take();
}

/** The exposition's end: OpenMetrics requires `# EOF`. */
export const ENDINGS: Readonly<Record<Format, Buffer>> = {
  prometheus: Buffer.alloc(0),
  openmetrics: Buffer.from('# EOF\n'),
};

/** A whole exposition of `families` as text, ended. */
export function renderText(families: Iterable<Family>, format: Format): string {
  renderInto(shared.clear(), families, format);
  shared.bytes(ENDINGS[format]);
  return shared.take().toString('utf8');
}
