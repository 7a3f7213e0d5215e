// The run's recorder of unhandled promise rejections (test/support/unhandled-rejections.ts,
// asserted in the root after-all hook): it sees a rejection nobody handled, names the test it
// came from, and leaves handled ones alone. What this test provokes it takes back, so that
// the run itself does not fail.
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { takeRejections } from './unhandled-rejections.js';

describe('the unhandled-rejection recorder', () => {
  it('records a rejection nobody handled, with the test it came from', async function () {
    void Promise.reject(new Error('provoked by the recorder test'));
    await turn();
    await turn();
    const taken = takeRejections();
    assert.equal(taken.length, 1);
    assert.equal(taken[0].test, this.test!.fullTitle());
    assert.match(taken[0].reason, /provoked by the recorder test/);
  });

  it('leaves a handled rejection alone', async () => {
    await Promise.reject(new Error('handled')).catch(() => undefined);
    await turn();
    await turn();
    assert.deepEqual(takeRejections(), []);
  });
});
