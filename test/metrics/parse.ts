// Helpers for reading an exposition back in tests: series by name and labels.
export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2]!;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The one value of a series; throws when absent or ambiguous. */
export function value(series: Series[], name: string, labels: Record<string, string> = {}): number {
  const found = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} series`);
  return found[0].value;
}

export function has(series: Series[], name: string): boolean {
  return series.some((s) => s.name === name);
}

/** `# TYPE` lines: family name → type. */
export function familyTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1], m[2]);
  return types;
}

export interface FamilyShape {
  type: string;
  /** Label names over all of the family's samples. */
  labels: Set<string>;
  /** Every sample's labels, as JSON of sorted [name, value] pairs, with its value. */
  series: Map<string, number>;
}

/** Families by `# TYPE` line, with their samples (a summary's `_sum`/`_count` included). */
export function familyShapes(text: string): Map<string, FamilyShape> {
  const shapes = new Map<string, FamilyShape>();
  for (const [name, type] of familyTypes(text)) shapes.set(name, { type, labels: new Set(), series: new Map() });
  for (const s of parseExposition(text.replace(/^# EOF\n$/m, ''))) {
    const family = shapes.get(s.name) ?? shapes.get(s.name.replace(/_(sum|count|bucket)$/, ''));
    if (!family) throw new Error(`${s.name} has no # TYPE line`);
    for (const label of Object.keys(s.labels)) family.labels.add(label);
    const key = s.name + JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)));
    family.series.set(key, s.value);
  }
  return shapes;
}
