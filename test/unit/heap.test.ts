// The heap settings `run` makes once the manager serves (src/heap.ts): a full collection at
// the first quiet moment after start-up and after each one-time load, with V8's gc() taken for
// it without being left to the program or to later contexts. In a child process: the settings
// are process-wide, and the test runner's own heap is not the subject.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const heapModule = join(import.meta.dirname, '../../src/heap.ts');

/**
 * Runs `body` in a fresh Node (with `nodeFlags`) with src/heap.ts imported; returns what it
 * prints (JSON).
 */
async function inChild(body: string, nodeFlags: string[] = []): Promise<Record<string, unknown>> {
  const script = `
    import { constants, PerformanceObserver } from 'node:perf_hooks';
    import { runInNewContext } from 'node:vm';
    import { compactSoon, keptTickEntry, newTickEntry, settleHeap } from ${JSON.stringify(heapModule)};
    // Node reports a forced collection as a plain full one (without its FORCED flag); a
    // process that allocates nothing has no other reason for one.
    let full = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
    }).observe({ entryTypes: ['gc'] });
    const settle = (ms) => new Promise((r) => setTimeout(r, ms));
    ${body}
  `;
  const { stdout } = await promisify(execFile)(process.execPath, [
    ...nodeFlags,
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
  ]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('heap settings', function () {
  this.timeout(20_000);

  it('compacts a moment after settling, without exposing gc() to the program or to later contexts', async () => {
    const seen = await inChild(`
      settleHeap();
      const exposed = [typeof globalThis.gc, runInNewContext('typeof gc')];
      // Timers fire in order of their due time: this one comes after the compaction's.
      await settle(1500);
      const afterSettle = full;
      compactSoon();
      await settle(1500);
      console.log(JSON.stringify({ exposed, afterSettle, afterLoad: full - afterSettle }));
    `);
    assert.deepEqual(seen.exposed, ['undefined', 'undefined']);
    assert.ok(Number(seen.afterSettle) >= 1, 'a full collection after settling');
    assert.ok(Number(seen.afterLoad) >= 1, 'a full collection after a one-time load');
  });

  it('waits for a quiet moment: no compaction while the event loop is busy, one once it is quiet', async () => {
    const seen = await inChild(`
      settleHeap();
      // Busy for 2 s, past the compaction's first look, without allocating much: 20 ms of
      // spinning per turn of the loop.
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        const turn = Date.now() + 20;
        while (Date.now() < turn);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const whileBusy = full;
      await settle(1500);
      console.log(JSON.stringify({ whileBusy, afterQuiet: full - whileBusy }));
    `);
    assert.equal(seen.whileBusy, 0, 'no full collection while the loop was busy');
    assert.ok(Number(seen.afterQuiet) >= 1, 'a full collection once it was quiet');
  });

  it('keeps the shape of a nextTick queue entry through its collections', async () => {
    // Without it, the collection frees the shapes V8's feedback for nextTick's object literal
    // holds, that feedback turns megamorphic, and every later nextTick (several per request)
    // goes through V8's runtime (src/heap.ts). The shapes are compared with V8's own test
    // intrinsic: an entry made after the collection has the kept entry's shape.
    const seen = await inChild(
      `
      settleHeap();
      await settle(1500);
      const afterSettle = full;
      const made = newTickEntry();
      const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)');
      const kept = keptTickEntry();
      console.log(JSON.stringify({
        afterSettle,
        kept: kept !== undefined,
        keys: kept === undefined ? [] : Reflect.ownKeys(kept).map(String),
        sameShape: kept !== undefined && made !== undefined && sameShape(kept, made),
      }));
    `,
      ['--allow-natives-syntax'],
    );
    assert.ok(Number(seen.afterSettle) >= 1, 'the compaction ran');
    assert.equal(seen.kept, true, 'an entry is kept');
    assert.ok((seen.keys as string[]).includes('callback'), `a nextTick entry: ${String(seen.keys)}`);
    assert.equal(seen.sameShape, true, 'an entry made after the collection has the kept shape');
  });

  it('leaves the heap alone where the manager does not run (tests, the restore command)', async () => {
    const seen = await inChild(`
      compactSoon();
      await settle(1500);
      console.log(JSON.stringify({ full }));
    `);
    assert.equal(seen.full, 0);
  });
});
