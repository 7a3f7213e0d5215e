// The operation guard: which operations may overlap (a table), and its leases.
import assert from 'node:assert/strict';
import { conflicts, OperationGuard, type OperationKind } from '../../src/domain/operation-guard.js';
import { ConflictError } from '../../src/errors.js';

describe('operation guard', () => {
  const table: [OperationKind, OperationKind, boolean][] = [
    ['update', 'update', true],
    ['update', 'backup', true],
    ['update', 'replication', true],
    ['backup', 'update', true],
    ['replication', 'update', true],
    ['backup', 'backup', true],
    ['replication', 'replication', true],
    ['backup', 'replication', false],
    ['replication', 'backup', false],
  ];
  for (const [held, wanted, conflict] of table) {
    it(`${wanted} while ${held} is in progress: ${conflict ? '409' : 'allowed'}`, () => {
      assert.equal(conflicts(held, wanted), conflict);
      const guard = new OperationGuard();
      const lease = guard.begin(held, `the ${held}`);
      if (conflict) {
        assert.throws(
          () => guard.begin(wanted),
          (err: unknown) => err instanceof ConflictError && err.message.includes(`the ${held} is in progress`),
        );
      } else {
        guard.begin(wanted).release();
      }
      lease.release();
      guard.begin(wanted).release();
      assert.deepEqual(guard.current, []);
    });
  }

  it('a lease released twice does not release another', () => {
    const guard = new OperationGuard();
    const first = guard.begin('backup');
    first.release();
    const second = guard.begin('backup');
    first.release();
    assert.deepEqual(guard.current, [second]);
    assert.equal(guard.isActive('backup'), true);
  });
});
