// Label sets that recur at every scrape ({cmd="get"}, {db="db0"}, {cmd="get",quantile="0.99"}):
// one frozen object per distinct set, kept across scrapes, with its `{…}` text rendered once.
// A scrape renders a line per command, database and percentile; building and rendering
// their labels afresh each time was most of what the exposition cost, and garbage the
// young-generation collector had to copy. Bounded: the values come from Redis (command
// names, databases), and past the bound a set is made afresh and rendered at each use.
/** A set of labels: name → value. */
export type Labels = Readonly<Record<string, string>>;

/** Distinct sets kept per kind: Redis has a few hundred commands, 16 databases by default. */
const MAX_KEPT = 4096;

/** The rendered `{…}` of the sets made here (read by the renderer: exposition.ts). */
const renderedText = new WeakMap<Labels, string>();

export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `{a="x",b="y"}`: rendered once for a set made here, at each use for any other. */
export function renderLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  return renderedText.get(labels) ?? labelText(labels);
}

/** `{a="x",b="y"}` (an empty set renders as nothing). */
function labelText(labels: Labels): string {
  let out = '';
  for (const key in labels) out += `${out === '' ? '' : ','}${key}="${escapeLabelValue(labels[key])}"`;
  return out === '' ? '' : `{${out}}`;
}

function keep(labels: Labels): Labels {
  Object.freeze(labels);
  renderedText.set(labels, labelText(labels));
  return labels;
}

/** A set of one label `name`, by its value. */
export function oneLabel(name: string): (value: string) => Labels {
  const kept = new Map<string, Labels>();
  return (value) => {
    let labels = kept.get(value);
    if (labels === undefined) {
      labels = { [name]: value };
      if (kept.size < MAX_KEPT) kept.set(value, keep(labels));
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
        byB.set(b, keep(labels));
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
