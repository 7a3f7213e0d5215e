// Every promise rejection nobody handled, in the whole run. Mocha 12 traps them and re-emits
// them on `process`, where without a listener they vanish: a test server's handler that
// rejected would leave its client waiting, and show only as some later assertion far from
// the cause. Recorded here with the test that was running; the run fails at the end (the
// root after-all hook) if there was any.
import { currentTest } from './current-test.js';

const caught: { test: string; reason: string }[] = [];
let catching = false;

export function startCatchingRejections(): void {
  if (catching) return;
  catching = true;
  // Mocha's own listener emits each one again: once per promise.
  const seen = new WeakSet<Promise<unknown>>();
  process.on('unhandledRejection', (reason, promise) => {
    if (seen.has(promise)) return;
    seen.add(promise);
    caught.push({
      test: currentTest(),
      reason: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason),
    });
  });
}

/** Removes and returns what was caught (for the recorder's own test). */
export function takeRejections(): { test: string; reason: string }[] {
  return caught.splice(0);
}

/** Throws, listing each, when any promise rejection of the run went unhandled. */
export function assertNoUnhandledRejections(): void {
  if (caught.length === 0) return;
  const lines = caught.map((c) => `  in "${c.test}":\n    ${c.reason.replace(/\n/g, '\n    ')}`);
  throw new Error(`${caught.length} promise rejection(s) in this run were never handled:\n${lines.join('\n')}`);
}
