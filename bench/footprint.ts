// Where an idle manager's memory goes (the figures of bench/README.md): the bundle as
// deployed, once idle (IDLE_SETTLE_MS after it first answers), and optionally another build
// beside it:
//   - RSS, split into file-backed (the node binary's pages) and anonymous memory, and the
//     anonymous part into V8's heap and the rest (malloc, thread stacks);
//   - V8's heap by space, its code statistics and external memory;
//   - a heap snapshot by category (strings, code, object shapes, ...), and its largest strings
//     (a script's source is one).
//   - what it costs while idle: CPU (all threads) and the main thread's wake-ups, over
//     IDLE_SECONDS after the wait, when nothing but its own timers runs.
//   make bench-footprint   (or: tsx bench/footprint.ts [--baseline old.mjs [--baseline-flags=...]])
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  bundle,
  DEPLOYED_NODE_FLAGS,
  freePort,
  IDLE_SETTLE_MS,
  processTree,
  settleIdle,
  scratchDir,
  startManagerBundle,
  startProcess,
  table,
  waitFor,
  type Proc,
} from './lib.js';
import { cpuSeconds } from './support/cpu.js';

const { values: opts } = parseArgs({
  options: { baseline: { type: 'string' }, 'baseline-flags': { type: 'string', default: '' } },
});
const reportModule = join(import.meta.dirname, 'support', 'memory-report.cjs');
const MiB = 1024 * 1024;
const IDLE_SECONDS = 10;

interface Report {
  status: string;
  memoryUsage: NodeJS.MemoryUsage;
  spaces: { space_name: string; space_size: number; space_used_size: number; physical_space_size: number }[];
  code: { code_and_metadata_size: number; bytecode_and_metadata_size: number; external_script_source_size: number };
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

interface Measured {
  name: string;
  report: Report;
  snapshot: ReturnType<typeof summarize>;
  idle: Idle;
}

interface Idle {
  /** CPU of all its threads, in % of one core. */
  cpuPercent: number;
  /** The main thread's voluntary context switches per second: how often its event loop wakes. */
  wakeups: number;
}

/** CPU of the manager (launcher and node) and wake-ups of its main thread while it idles. */
async function idleCost(pid: number): Promise<Idle> {
  // The node process is the last of the tree: the launcher's only child (see processTree).
  const node = processTree(pid).at(-1)!;
  const switches = async () =>
    Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(await readFile(`/proc/${node}/status`, 'utf8'))?.[1]);
  const before = { cpu: await cpuSeconds(pid), switches: await switches() };
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  return {
    cpuPercent: (((await cpuSeconds(pid)) - before.cpu) / IDLE_SECONDS) * 100,
    wakeups: ((await switches()) - before.switches) / IDLE_SECONDS,
  };
}

/** The manager from `build`, or with no build the bare Node http server of bench-probes. */
async function measure(name: string, build?: { bundle: string; nodeFlags: string[] }): Promise<Measured> {
  const dir = await scratchDir('im-footprint-');
  const reportFile = join(dir, 'report.json');
  process.env.IM_MEMORY_REPORT = reportFile;
  const report = ['--require', reportModule];
  let manager: Proc;
  if (build) {
    manager = await startManagerBundle([], { ...build, nodeFlags: [...build.nodeFlags, ...report] });
  } else {
    const port = await freePort();
    const bare = join(import.meta.dirname, 'bare-server.mjs');
    manager = await startProcess(
      process.execPath,
      [...report, bare, String(port), '{"alive":true}', 'application/json'],
      port,
    );
  }
  try {
    await settleIdle();
    const idle = await idleCost(manager.child.pid!);
    manager.child.kill('SIGUSR2');
    const report = await waitFor(
      'the memory report',
      async () => (JSON.parse(await readFile(reportFile, 'utf8').catch(() => 'null')) as Report | null) ?? undefined,
      60_000,
    );
    const snapshot = JSON.parse(await readFile(`${reportFile}.heapsnapshot`, 'utf8')) as Snapshot;
    return { name, report, snapshot: summarize(snapshot), idle };
  } finally {
    await manager.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Self sizes by node type, and the largest strings. */
function summarize(s: Snapshot) {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const byType = new Map<string, number>();
  const strings: [number, string][] = [];
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + typeAt]];
    const size = s.nodes[i + sizeAt];
    total += size;
    const category = type.includes('string') ? 'string' : type;
    byType.set(category, (byType.get(category) ?? 0) + size);
    if (category === 'string' && size > 100_000) strings.push([size, s.strings[s.nodes[i + nameAt]].slice(0, 60)]);
  }
  return { total, byType, strings: strings.sort((a, b) => b[0] - a[0]).slice(0, 3) };
}

const kib = (status: string, field: string) =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

async function main() {
  const builds = [{ name: 'instance-manager', bundle, nodeFlags: DEPLOYED_NODE_FLAGS }];
  if (opts.baseline)
    builds.push({
      name: 'baseline',
      bundle: opts.baseline,
      nodeFlags: opts['baseline-flags'].split(' ').filter(Boolean),
    });
  const results: Measured[] = [];
  for (const b of builds) results.push(await measure(b.name, b));
  results.push(await measure('bare node http'));

  const rows: [string, (r: Measured) => number][] = [
    ['RSS', (r) => kib(r.report.status, 'VmRSS')],
    ['  file-backed (node binary, libraries)', (r) => kib(r.report.status, 'RssFile')],
    ['  anonymous', (r) => kib(r.report.status, 'RssAnon')],
    ['    V8 heap (committed)', (r) => r.report.memoryUsage.heapTotal],
    [
      '    the rest (malloc, stacks, V8 outside its heap)',
      (r) => kib(r.report.status, 'RssAnon') - r.report.memoryUsage.heapTotal,
    ],
    ['V8 heap used', (r) => r.report.memoryUsage.heapUsed],
    ...['new_space', 'old_space', 'code_space', 'trusted_space', 'large_object_space'].map(
      (space) =>
        [
          `  ${space} (committed)`,
          (r: Measured) => r.report.spaces.find((s) => s.space_name === space)?.physical_space_size ?? 0,
        ] as [string, (r: Measured) => number],
    ),
    ['code and metadata', (r) => r.report.code.code_and_metadata_size],
    ['  of which bytecode', (r) => r.report.code.bytecode_and_metadata_size],
    ['external (Buffers, external strings)', (r) => r.report.memoryUsage.external],
    ['  external script sources', (r) => r.report.code.external_script_source_size],
    ['heap snapshot (after a full GC)', (r) => r.snapshot.total],
    ...['string', 'code', 'object shape', 'array', 'closure', 'object', 'hidden', 'native'].map(
      (type) => [`  ${type}`, (r: Measured) => r.snapshot.byType.get(type) ?? 0] as [string, (r: Measured) => number],
    ),
  ];
  console.log(
    `\nmemory of an idle manager, MiB (${IDLE_SETTLE_MS / 1000} s after it first answers; flags ${DEPLOYED_NODE_FLAGS.join(' ')})`,
  );
  console.log(
    table(
      ['', ...results.map((r) => r.name)],
      rows.map(([label, f]) => [label, ...results.map((r) => mib(f(r)))]),
    ),
  );
  console.log(`\nidle cost over ${IDLE_SECONDS} s, right after`);
  console.log(
    table(
      ['', ...results.map((r) => r.name)],
      [
        ['CPU, % of one core (all threads)', ...results.map((r) => r.idle.cpuPercent.toFixed(2))],
        ['main thread wake-ups per second', ...results.map((r) => r.idle.wakeups.toFixed(0))],
      ],
    ),
  );
  for (const r of results) {
    console.log(`\nlargest strings on ${r.name}'s heap:`);
    for (const [size, text] of r.snapshot.strings) console.log(`  ${mib(size)} MiB  ${JSON.stringify(text)}…`);
  }
}

await main();
