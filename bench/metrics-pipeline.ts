// The /metrics pipeline in one process, without HTTP or a Redis: `Metrics.exposition` of this
// source tree against a fake Redis that answers an INFO fixture, beside a baseline source tree
// (say, a `git worktree` of the commit before), alternately. Issue 15; bench/README.md has
// the figures it gave.
//
//   node --import tsx --max-semi-space-size=4 --heap-growing-percent=40 \
//     --no-allocation-site-pretenuring bench/metrics-pipeline.ts --baseline /path/to/other/tree
//   node --import tsx bench/metrics-pipeline.ts --dump /tmp/a [--tree /path/to/other/tree]
//     (then diff -r the dumps of two trees)
//
// The flags are the deployed ones (NODE_OPTIONS, and the two src/heap.ts sets at run time).
// Figures, per scrape, for each mode (default, --metrics-compat redis_exporter):
//   - CPU: process.cpuUsage (every thread: the collector's too) over ROUNDS runs of N, alternating
//     the trees, medians; and the least wall time of 100-scrape batches (other load only adds);
//   - allocation: V8 heap used after an exposition minus before, the runs with a collection
//     in between (the heap shrank) left out; median.
// `--dump DIR` writes the expositions (default and compat, both formats, every fixture, two
// concurrent scrapes, the HTTP histogram) for a byte-for-byte comparison of two trees.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import type { Format } from '../src/domain/metrics/exposition.js';
import type { Metrics } from '../src/domain/metrics/metrics.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    dump: { type: 'string' },
    tree: { type: 'string' },
    fixture: { type: 'string', default: 'redis-7.0.15-primary.txt' },
    n: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '7' },
  },
});
const root = resolve(import.meta.dirname, '..');
const FIXTURES = join(root, 'test/fixtures/info');

/** A Redis that answers INFO with the text, and compat mode's reads with fixed replies. */
function fakeRedis(info: string) {
  const config: Record<string, string> = { databases: '16', maxclients: '10000', maxmemory: '0', 'io-threads': '1' };
  return {
    info: () => Promise.resolve(info),
    command: (name: string, ...rest: (string | number)[]): Promise<unknown> => {
      if (name === 'CONFIG') return Promise.resolve([String(rest[1]), config[String(rest[1])]]);
      if (name === 'SLOWLOG') {
        return Promise.resolve(rest[0] === 'LEN' ? 4 : [[9, 1795708800, 15000, ['get', 'k'], '127.0.0.1:5', '']]);
      }
      if (name === 'LATENCY') return Promise.resolve([['command', 1795708860, 21, 30]]);
      return Promise.resolve(undefined);
    },
    close: () => Promise.resolve(),
  };
}

type MetricsModule = typeof import('../src/domain/metrics/metrics.js');

async function metricsOf(tree: string, info: string, compat: boolean): Promise<Metrics> {
  const { Metrics } = (await import(join(tree, 'src/domain/metrics/metrics.ts'))) as MetricsModule;
  const fake = fakeRedis(info) as unknown as ConstructorParameters<MetricsModule['Metrics']>[0];
  const m = new Metrics(
    fake,
    () => 2,
    () => [],
    compat ? 'redis_exporter' : undefined,
  );
  m.process.observeRequest('/metrics', 'GET', 200, 0.0007);
  return m;
}

async function dump(dir: string, tree: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // Compat mode's start time on Redis < 6.2 is the manager's clock minus uptime: one fixed clock.
  Date.now = () => 1795708900_500;
  const routes = ['/readyz', '/v1/backups/{id}', 'unmatched', '/metrics'];
  for (const fixture of readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'))) {
    const info = readFileSync(join(FIXTURES, fixture), 'utf8');
    for (const compat of [false, true]) {
      const m = await metricsOf(tree, info, compat);
      for (let i = 0; i < 400; i++) {
        const seconds = [0.0005, 0.005, 10, 11.5, 0.1 + 0.2, 1e-9, 0.00051, 2.5, 7.3, 0][i % 10] * (1 + (i % 7) / 13);
        m.process.observeRequest(
          routes[(i * 7) % 4],
          ['GET', 'PUT', 'OTHER'][(i * 5) % 3],
          [200, 404, 503][i % 3],
          seconds,
        );
      }
      for (const format of ['prometheus', 'openmetrics'] as const) {
        // The third: two scrapes at once, which share one INFO and its rendering.
        const bodies = [
          (await m.exposition(format)).body,
          (await m.exposition(format)).body,
          (await Promise.all([m.exposition(format), m.exposition(format)]))[1].body,
        ];
        bodies.forEach((body, i) => {
          const text = body
            .toString('utf8')
            .split('\n')
            // Figures of this process (runtime metrics, the scrape's own duration) differ at every run.
            .filter((line) => !/^(# (HELP|TYPE) )?(process_|nodejs_)/.test(line))
            .join('\n')
            .replace(/^redis_scrape_duration_seconds .*$/m, 'redis_scrape_duration_seconds X');
          writeFileSync(join(dir, `${fixture}.${compat ? 'compat' : 'default'}.${format}.${i + 1}`), text);
        });
      }
    }
  }
  console.log(`wrote ${readdirSync(dir).length} expositions to ${dir}`);
}

async function compare(baseline: string): Promise<void> {
  const info = readFileSync(join(FIXTURES, args.fixture), 'utf8');
  const n = Number(args.n);
  const rounds = Number(args.rounds);
  const format: Format = 'prometheus';
  const runs: { key: string; run: () => Promise<unknown> }[] = [];
  for (const mode of ['default', 'compat']) {
    for (const [name, tree] of [
      ['baseline', baseline],
      ['this', root],
    ]) {
      const m = await metricsOf(tree, info, mode === 'compat');
      runs.push({ key: `${mode} ${name}`, run: () => m.exposition(format) });
    }
  }
  for (const r of runs) for (let i = 0; i < 2000; i++) await r.run();

  const cpu = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const r of round % 2 === 0 ? runs : [...runs].reverse()) {
      const before = process.cpuUsage();
      for (let i = 0; i < n; i++) await r.run();
      const used = process.cpuUsage(before);
      cpu.set(r.key, [...(cpu.get(r.key) ?? []), (used.user + used.system) / n]);
    }
  }
  const least = new Map<string, number>();
  for (let batch = 0; batch < 150; batch++) {
    for (const r of runs) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) await r.run();
      const us = Number(process.hrtime.bigint() - t) / 100 / 1000;
      least.set(r.key, Math.min(least.get(r.key) ?? Infinity, us));
    }
  }
  const alloc = new Map<string, number[]>();
  for (let round = 0; round < 3; round++) {
    for (const r of runs) {
      for (let i = 0; i < 200; i++) {
        const before = v8.getHeapStatistics().used_heap_size;
        await r.run();
        const grew = v8.getHeapStatistics().used_heap_size - before;
        if (grew > 0) alloc.set(r.key, [...(alloc.get(r.key) ?? []), grew]);
      }
    }
  }
  const median = (xs: number[] = []) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  console.log(
    `${args.fixture}; ${rounds} rounds of ${n} scrapes; load average ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const mode of ['default', 'compat']) {
    const [b, t] = [`${mode} baseline`, `${mode} this`];
    const [cb, ct] = [median(cpu.get(b)), median(cpu.get(t))];
    const [ab, at] = [median(alloc.get(b)), median(alloc.get(t))];
    console.log(
      `${mode}: CPU ${cb.toFixed(1)} -> ${ct.toFixed(1)} us (${(cb / ct).toFixed(2)}x); ` +
        `least wall ${least.get(b)!.toFixed(1)} -> ${least.get(t)!.toFixed(1)} us (${(least.get(b)! / least.get(t)!).toFixed(2)}x); ` +
        `allocated ${(ab / 1024).toFixed(1)} -> ${(at / 1024).toFixed(1)} KB (${(ab / at).toFixed(2)}x)`,
    );
    console.log(
      `  CPU per round, baseline: ${cpu
        .get(b)!
        .map((x) => x.toFixed(0))
        .join(' ')}; this: ${cpu
        .get(t)!
        .map((x) => x.toFixed(0))
        .join(' ')}`,
    );
  }
}

if (args.dump !== undefined) await dump(args.dump, resolve(args.tree ?? root));
else if (args.baseline !== undefined) await compare(resolve(args.baseline));
else throw new Error('--baseline TREE or --dump DIR');
process.exit(0);
