// A steady writer that counts acknowledged writes: each SET gets a unique key; only a
// write answered OK counts. It writes to whichever Redis port `target()` names, and on an
// error (READONLY from a demoted primary, a dropped connection) retries the same key there
// after a short pause, so the writer follows a switchover the way a client library would.
import { Redis } from 'ioredis';

export class WriteLoad {
  readonly acknowledged: string[] = [];
  /** performance.now() of every acknowledgement, in order. */
  readonly ackTimes: number[] = [];
  errors = 0;
  private stopped = false;
  private readonly clients = new Map<number, Redis>();
  private loops: Promise<void>[] = [];
  /** Longest time one write waited for its acknowledgement (the pause a client saw). */
  longestWaitMs = 0;

  /** `pauseMs` between a worker's writes bounds the rate (and so the dataset size). */
  constructor(
    private readonly target: () => number,
    private readonly pauseMs = 0,
  ) {}

  private client(port: number): Redis {
    let c = this.clients.get(port);
    if (!c) {
      c = new Redis({
        host: '127.0.0.1',
        port,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        disableClientInfo: true,
      });
      c.on('error', () => {});
      this.clients.set(port, c);
    }
    return c;
  }

  start(concurrency = 4): void {
    for (let w = 0; w < concurrency; w++) this.loops.push(this.loop(w));
  }

  private async loop(worker: number): Promise<void> {
    let n = 0;
    while (!this.stopped) {
      const key = `load:${worker}:${n}`;
      const t0 = performance.now();
      try {
        await this.client(this.target()).set(key, String(n));
        this.longestWaitMs = Math.max(this.longestWaitMs, performance.now() - t0);
        this.acknowledged.push(key);
        this.ackTimes.push(performance.now());
        n++;
        if (this.pauseMs > 0) await new Promise((r) => setTimeout(r, this.pauseMs));
      } catch {
        this.errors++;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const c of this.clients.values()) c.disconnect();
  }

  /** The longest time without an acknowledged write that overlaps [from, to] (performance.now()). */
  longestGap(from: number, to: number): number {
    let previous = -Infinity;
    let gap = 0;
    for (const t of this.ackTimes) {
      // a gap counts when it overlaps the window
      if (t >= from && previous <= to && previous > -Infinity) gap = Math.max(gap, t - previous);
      if (t > to) break;
      previous = t;
    }
    return gap;
  }

  /** The acknowledged keys missing on the Redis at `port`. */
  async missingOn(port: number): Promise<string[]> {
    const c = new Redis({ host: '127.0.0.1', port, disableClientInfo: true });
    try {
      const missing: string[] = [];
      for (let i = 0; i < this.acknowledged.length; i += 1000) {
        const batch = this.acknowledged.slice(i, i + 1000);
        const values = await c.mget(...batch);
        values.forEach((v, j) => v === null && missing.push(batch[j]));
      }
      return missing;
    } finally {
      c.disconnect();
    }
  }
}
