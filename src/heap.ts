// The V8 heap of a sidecar that is mostly idle and multiplied by the size of the fleet
// (bench/README.md has the figures). `run` settles it once the manager serves:
//   - start-up leaves its garbage (module and contract set-up, the parse of the bundle) and
//     a young generation grown to its maximum; V8 keeps both until some later collection,
//     which an idle manager seldom needs. One memory-reducing collection at the first quiet
//     moment after start-up returns about 10 MiB; another after the full API's first load
//     returns 7. Such a collection (ours, or the one V8's memory reducer makes some 8 s
//     later) would leave Node's request path slower for good, as it leaves a bare Node
//     server's; one entry of the nextTick queue kept alive spares the manager that
//     (`keepTickShape`).
//   - under a burst of requests V8 lets the old generation grow up to 4× what survived the
//     last full collection before the next one; at most 40% more keeps the peak of a burst
//     some 15-20 MiB lower, for a few more full collections.
//   - no allocation-site pretenuring: V8 watches the object and array literals of a function
//     and, once it sees a collection where nearly all of a literal's recent objects are still
//     alive, allocates that literal's objects in the old generation from then on. A scrape
//     builds its families from such literals and drops them all when it answers; a young
//     collection that falls inside a scrape makes them look long-lived, and from then on each
//     scrape filled the old generation: in compat mode 24 full collections instead of 10 over
//     4000 scrapes, and a quarter more CPU per scrape, much of it in V8's worker threads where
//     a CPU profile of the main thread does not show it (bench/README.md). Nothing the manager
//     keeps is allocated often enough for pretenuring to pay.
// Set from here rather than as Node flags: NODE_OPTIONS (how the image passes flags, kept
// across the exec of an upgrade) accepts neither, and so they hold however the manager runs.
// Elsewhere (tests, the restore command) the heap is left as V8 runs it.
import { createHook } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const HEAP_GROWING_PERCENT = 40;
/** After the requests that came with the load (the probes held during start-up). */
const COMPACT_AFTER_MS = 1000;
/**
 * The compaction blocks the event loop (two rounds, 50-80 ms in all), so it waits for a quiet
 * moment: a look every QUIET_CHECK_MS, and it runs once the loop was busy less than
 * QUIET_UTILIZATION of the time since the last look. An idle manager (probes every few
 * seconds) is quiet at the first look; one under a flood of requests, such as a benchmark's or
 * an upgrade's, is left alone until the flood ends, instead of holding its requests.
 */
const QUIET_CHECK_MS = 250;
const QUIET_UTILIZATION = 0.05;

type Gc = (options: { type: 'major'; flavor: 'last-resort' }) => void;

/** V8's gc(), once `settleHeap` has taken it for this module. */
let gc: Gc | undefined;

export function settleHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  setFlagsFromString('--no-allocation-site-pretenuring');
  // gc() for this module only: exposed to a throwaway context, and to no other after it.
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as Gc;
  setFlagsFromString('--no-expose-gc');
  keepTickShape();
  compactSoon();
}

/** See `keepTickShape`. */
let tickEntry: object | undefined;

/**
 * Keeps one entry of `process.nextTick`'s queue alive for the life of the process. Node makes
 * each entry as `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`, and
 * V8 adds computed keys to a new object through a feedback slot that holds the object's shape
 * (its map) weakly. A memory-reducing collection at a moment when no entry is alive frees the
 * shapes between the first key and the last; the slot then meets a shape it does not hold and
 * gives up for good ("megamorphic"): every later nextTick, several a request, adds its keys
 * through V8's runtime (`Runtime_DefineKeyedOwnPropertyInLiteral` in `perf`), and a request
 * costs 1.2-1.6× the CPU (bench/README.md). An entry alive keeps its shape, and the shapes
 * before it, through every collection, ours and V8's own.
 */
function keepTickShape(): void {
  tickEntry ??= newTickEntry();
}

/**
 * A new entry of the nextTick queue, as Node hands it to an async hook's `init`: made by
 * nextTick itself, so it has exactly the shape of the hot path's entries (a literal with the
 * same keys written elsewhere gets other shapes).
 */
export function newTickEntry(): object | undefined {
  let entry: object | undefined;
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'TickObject') entry ??= resource;
    },
  }).enable();
  process.nextTick(() => {});
  hook.disable();
  return entry;
}

/** The nextTick queue's entry kept alive, once `settleHeap` ran (for its test). */
export function keptTickEntry(): object | undefined {
  return tickEntry;
}

/** A compaction waits for its quiet moment: a later load's garbage goes with it. */
let waiting = false;

/** After a one-time load (start-up, the full API): give its garbage back at the next quiet moment. */
export function compactSoon(): void {
  const collect = gc;
  if (!collect || waiting) return;
  waiting = true;
  let since = performance.eventLoopUtilization();
  const look = () => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, since).utilization;
    since = now;
    if (busy >= QUIET_UTILIZATION) {
      setTimeout(look, QUIET_CHECK_MS).unref();
      return;
    }
    waiting = false;
    collect({ type: 'major', flavor: 'last-resort' });
  };
  setTimeout(look, COMPACT_AFTER_MS).unref();
}
