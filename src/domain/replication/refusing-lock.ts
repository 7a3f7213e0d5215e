// One replication change at a time. A second change that arrives while one runs is refused
// at once (409), never queued: a queued change would run against a topology its caller did
// not see, and two interleaved REPLICAOF sequences could leave any mix of both. The lock is
// the instance's shared operation guard, so an update (which ends in an exec) never runs
// beside a replication change either. (Compare Mutex, which queues.)
import type { OperationGuard, OperationLease } from '../operation-guard.js';

export class RefusingLock {
  constructor(private readonly guard: OperationGuard) {}

  /** Runs `work` alone, or throws ConflictError when another change (or an update) is in progress. */
  async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    return holding(this.guard.begin('replication', what), work);
  }

  /** Runs `work` alone, or returns undefined without running it when something is in the way. */
  async tryRun<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    const lease = this.guard.tryBegin('replication', what);
    return lease ? holding(lease, work) : undefined;
  }
}

async function holding<T>(lease: OperationLease, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    lease.release();
  }
}
