// Label sets that recur at every scrape ({cmd="get"}, {db="db0"}, {cmd="get",quantile="0.99"}):
// one frozen object per distinct set, kept across scrapes, with its `{…}` text rendered once.
// A scrape renders a line per command, database and percentile; building and rendering
// their labels afresh each time was most of what the exposition cost, and garbage the
// young-generation collector had to copy. Bounded: the values come from Redis (command
// names, databases), and past the bound a set is made afresh and rendered at each use.
import { Buffer } from 'node:buffer';
import type { ByteText } from './byte-text.js';

/** A set of labels: name → value. */
export type Labels = Readonly<Record<string, string>>;

/** Distinct sets kept per kind: Redis has a few hundred commands, 16 databases by default. */
const MAX_KEPT = 4096;

/**
 * What is rendered of a set made here: its `{…}`, and the UTF-8 bytes of the start of each line
 * that carries it (`name{…} `, and by suffix `name_sum{…} `), made at its first use: the
 * series names come from the code's tables, so each set has a few.
 */
interface Kept {
  text: string;
  lines: Map<string, Buffer>;
  suffixed: Map<string, Map<string, Buffer>> | undefined;
}
const kept = new WeakMap<Labels, Kept>();
/** The same for series without labels: `name `, by suffix `name_sum `. */
const bare: Kept = { text: '', lines: new Map(), suffixed: undefined };

export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `{a="x",b="y"}`: rendered once for a set made here, at each use for any other. */
export function renderLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  return kept.get(labels)?.text ?? labelText(labels);
}

/** Past this many line starts in one cache (names not from the code's tables), they are made afresh. */
const MAX_LINES = 4096;

/**
 * Writes `name{a="x"} ` (with the suffix: `name_sum{a="x"} `), the start of a sample's line:
 * encoded once for a set made here or no labels, written afresh for any other set.
 */
export function writeLinePrefix(
  out: ByteText,
  name: string,
  suffix: string | undefined,
  labels: Labels | undefined,
): void {
  const rendered = labels === undefined ? bare : kept.get(labels);
  if (rendered === undefined) {
    out.string(name);
    if (suffix !== undefined) out.string(suffix);
    out.string(labelText(labels!));
    out.byte(32 /* space */);
    return;
  }
  let lines = rendered.lines;
  if (suffix !== undefined) {
    rendered.suffixed ??= new Map();
    let bySuffix = rendered.suffixed.get(suffix);
    if (bySuffix === undefined) rendered.suffixed.set(suffix, (bySuffix = new Map<string, Buffer>()));
    lines = bySuffix;
  }
  let prefix = lines.get(name);
  if (prefix === undefined) {
    prefix = Buffer.from(`${name}${suffix ?? ''}${rendered.text} `, 'utf8');
    if (lines.size < MAX_LINES) lines.set(name, prefix);
  }
  out.bytes(prefix);
}

/** `{a="x",b="y"}` (an empty set renders as nothing). */
function labelText(labels: Labels): string {
  let out = '';
  for (const key in labels) out += `${out === '' ? '' : ','}${key}="${escapeLabelValue(labels[key])}"`;
  return out === '' ? '' : `{${out}}`;
}

/** The set given, kept: frozen, its `{…}` and its lines' starts rendered once. For sets a caller bounds itself. */
export function keepLabels(labels: Labels): Labels {
  Object.freeze(labels);
  kept.set(labels, { text: labelText(labels), lines: new Map(), suffixed: undefined });
  return labels;
}

/**
 * The set given, or the equal one (same names in the same order, same values) it returned the
 * time before, kept. For a set built afresh at every scrape from values that seldom change
 * (redis_instance_info's: role, version, run id…), so that its `{…}` is rendered once and not at
 * every scrape. One set per use: a changed one replaces it.
 */
export function lastSet(): (labels: Labels) => Labels {
  let last: Labels | undefined;
  let names: string[] = [];
  return (labels) => {
    if (last !== undefined) {
      let i = 0;
      let same = true;
      for (const name in labels) {
        if (name !== names[i++] || labels[name] !== last[name]) {
          same = false;
          break;
        }
      }
      if (same && i === names.length) return last;
    }
    names = Object.keys(labels);
    return (last = keepLabels(labels));
  };
}

/** A set of one label `name`, by its value. */
export function oneLabel(name: string): (value: string) => Labels {
  const kept = new Map<string, Labels>();
  return (value) => {
    let labels = kept.get(value);
    if (labels === undefined) {
      labels = { [name]: value };
      if (kept.size < MAX_KEPT) kept.set(value, keepLabels(labels));
    }
    return labels;
  };
}

/** A set of two labels `first` and `second`, by their values. */
export function twoLabels(first: string, second: string): (a: string, b: string) => Labels {
  const kept = new Map<string, Map<string, Labels>>();
  let count = 0;
  return (a, b) => {
    let byB = kept.get(a);
    let labels = byB?.get(b);
    if (labels === undefined) {
      labels = { [first]: a, [second]: b };
      if (count < MAX_KEPT) {
        if (byB === undefined) kept.set(a, (byB = new Map<string, Labels>()));
        byB.set(b, keepLabels(labels));
        count++;
      }
    }
    return labels;
  };
}

// The sets both the native and the compat families use: one object per set for both.
/** `{db="db0"}` */
export const dbLabels = oneLabel('db');
/** `{cmd="get"}` */
export const cmdLabels = oneLabel('cmd');
/** `{cmd="get",quantile="0.99"}` */
export const quantileLabels = twoLabels('cmd', 'quantile');
/** `{err="ERR"}` */
export const errLabels = oneLabel('err');
