// prometheus-redis-exporter 1.45's metric families and where each INFO-derived one is in our
// default /metrics. The knowledge itself lives in src/domain/metrics/exporter-compat.ts (the
// compat mode's table); this is the view the coverage test and the benchmark need.
import { EXPORTER_FAMILIES, isLeftOut } from '../src/domain/metrics/exporter-compat-table.js';

/** Exporter families left out of compat mode (its own health, extra flags) or not from INFO. */
export function isExporterNonInfo(name: string): boolean {
  return (
    isLeftOut(name) || name === 'redis_up' || EXPORTER_FAMILIES.some((f) => f.name === name && f.source !== 'INFO')
  );
}

/** Exporter family (INFO-derived) → ours; null where ours has no counterpart. */
export const EXPORTER_TO_OURS: Readonly<Record<string, string | null>> = Object.fromEntries(
  EXPORTER_FAMILIES.filter((f) => f.source === 'INFO').map((f) => [f.name, f.native]),
);

/** Families named by `# TYPE` lines. */
export function familiesOf(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]));
}

export interface Coverage {
  exporterInfoFamilies: string[];
  /** Exporter INFO families with no counterpart in ours (should be empty). */
  missing: string[];
  /** Exporter families the compat table does not know (an exporter version change). */
  unknown: string[];
}

/** Compares one exporter scrape with one of ours (default mode) taken from the same Redis. */
export function coverage(exporterText: string, oursText: string): Coverage {
  const ours = familiesOf(oursText);
  const exporterInfoFamilies = [...familiesOf(exporterText)].filter((f) => !isExporterNonInfo(f));
  const missing: string[] = [];
  const unknown: string[] = [];
  for (const f of exporterInfoFamilies) {
    const mapped = EXPORTER_TO_OURS[f];
    if (mapped === undefined) unknown.push(f);
    else if (mapped === null || !ours.has(mapped)) missing.push(`${f} → ${mapped ?? 'nothing'}`);
  }
  return { exporterInfoFamilies, missing, unknown };
}
