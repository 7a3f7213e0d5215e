// The primary lease (--primary-lease-seconds): a primary the operator has not confirmed
// within the lease stops taking writes, so a primary cut off from the operator while it
// fails over to another node cannot keep taking writes that will be lost. The operator
// renews it with a promote of the current topology (client: renewLease()). The expiry is
// recorded in the state file, so it survives an exec; this only watches the clock.
//
// Checked every CHECK_MS: the expiry is acted on within that (plus one Redis round trip),
// well inside the one second the contract promises.
import type { StateStore } from '../state/state-file.js';
import { leaseExpired } from './hold.js';

const CHECK_MS = 100;

export class LeaseWatch {
  private timer: NodeJS.Timeout | undefined;
  private holding = false;

  constructor(
    private readonly state: StateStore,
    private readonly expire: () => Promise<void>,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (this.holding || !leaseExpired(this.state.current, new Date())) return;
    this.holding = true;
    // expire() reports its own failures; a hold that could not be recorded is tried again.
    void this.expire()
      .catch(() => undefined)
      .finally(() => (this.holding = false));
  }
}
