// One replication change at a time. A second change that arrives while one runs is refused
// at once (409), never queued: a queued change would run against a topology its caller did
// not see, and two interleaved REPLICAOF sequences could leave any mix of both.
import { ConflictError } from '../../errors.js';

export class SingleFlight {
  private running: string | null = null;

  get busy(): string | null {
    return this.running;
  }

  /** Runs `work` alone, or throws ConflictError when another change is in progress. */
  async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.running !== null) {
      throw new ConflictError(`cannot ${what}: ${this.running} is in progress; retry when it has finished`);
    }
    this.running = what;
    try {
      return await work();
    } finally {
      this.running = null;
    }
  }

  /** Runs `work` alone, or returns undefined without running it when the lock is taken. */
  async tryRun<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.running !== null) return undefined;
    return this.run(what, work);
  }
}
