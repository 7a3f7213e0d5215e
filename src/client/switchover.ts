// switchover(): the safe sequence for moving the primary role from one instance to another
// without losing an acknowledged write:
//   1. fence the old primary (CLIENT PAUSE WRITE): its replication offset stops moving;
//   2. promote the target once it has processed that offset (minOffset);
//   3. demote the old primary to the target;
//   4. repoint the other replicas to the target;
//   5. lift the fence (writes that waited on the old primary now fail with READONLY, so
//      clients retry against the new primary; none was acknowledged by the old one).
// A failure before step 3 completes is rolled back (the old primary stays primary and is
// unfenced). From step 3 on the switchover is committed: the target holds every
// acknowledged write and the old primary follows it, so a replica that could not be
// repointed is reported rather than undone. Every step's duration is reported.
import type { InstanceManagerClient } from './create.js';
import { ProblemError } from './runtime.js';

export interface SwitchoverNode {
  client: InstanceManagerClient;
  /** The address other nodes reach this node's Redis at (the pod IP, port 6379). */
  redis: { host: string; port: number };
  /** A name for reports (default host:port). */
  name?: string;
}

export interface SwitchoverOptions {
  from: SwitchoverNode;
  to: SwitchoverNode;
  others?: SwitchoverNode[];
  /** The new epoch: higher than any used before in this cluster. */
  epoch: number;
  /**
   * The epoch of a rollback (default `epoch + 1`): putting the target back under the old
   * primary is a topology of its own, so it is fenced by a newer epoch than the one the
   * target was promoted with, and a late, delayed rollback can never undo a later change.
   * The operator's next change must use a higher epoch than both (`report.highestEpoch`).
   */
  rollbackEpoch?: number;
  /** How long the old primary's writes may stay paused at most (default 10 000 ms). */
  fenceTimeoutMs?: number;
  /** How long the target may take to catch up with the fenced offset (default 5 s). */
  catchUpTimeoutSeconds?: number;
}

export type SwitchoverStepName =
  | 'fence'
  | 'check-target'
  | 'promote'
  | 'demote-old-primary'
  | 'repoint'
  | 'unfence'
  | 'rollback-demote-target'
  | 'rollback-unfence';

export interface SwitchoverStep {
  step: SwitchoverStepName;
  node: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface SwitchoverReport {
  /** True when the target is primary and the old primary follows it. */
  committed: boolean;
  rolledBack: boolean;
  /** The old primary's replication offset when its writes stopped. */
  fencedOffset: number | null;
  /** From the start of the fence to the end of the unfence (writes waited this long at most). */
  writePauseMs: number | null;
  totalMs: number;
  steps: SwitchoverStep[];
  /** The highest epoch this switchover sent (the rollback's, if it rolled back). */
  highestEpoch: number;
}

/** A step failed; `report` says which, whether it was committed and what was rolled back. */
export class SwitchoverError extends Error {
  constructor(
    message: string,
    readonly report: SwitchoverReport,
  ) {
    super(message);
    this.name = 'SwitchoverError';
  }
}

const nameOf = (node: SwitchoverNode) => node.name ?? `${node.redis.host}:${node.redis.port}`;

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function switchover(options: SwitchoverOptions): Promise<SwitchoverReport> {
  const { from, to, epoch } = options;
  const rollbackEpoch = options.rollbackEpoch ?? epoch + 1;
  if (rollbackEpoch <= epoch) throw new RangeError(`rollbackEpoch ${rollbackEpoch} must be higher than epoch ${epoch}`);
  const others = options.others ?? [];
  const fenceTimeoutMs = options.fenceTimeoutMs ?? 10_000;
  const catchUpTimeoutSeconds = options.catchUpTimeoutSeconds ?? 5;
  const started = performance.now();
  const report: SwitchoverReport = {
    committed: false,
    rolledBack: false,
    fencedOffset: null,
    writePauseMs: null,
    totalMs: 0,
    steps: [],
    highestEpoch: epoch,
  };

  async function step<T>(name: SwitchoverStepName, node: SwitchoverNode, work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const value = await work();
      report.steps.push({ step: name, node: nameOf(node), ok: true, durationMs: performance.now() - t0 });
      return value;
    } catch (err) {
      report.steps.push({
        step: name,
        node: nameOf(node),
        ok: false,
        durationMs: performance.now() - t0,
        error: describeError(err),
      });
      throw err;
    }
  }
  const finish = () => {
    report.totalMs = performance.now() - started;
    return report;
  };
  const fail = (message: string) => new SwitchoverError(message, finish());

  let fenceStarted = 0;
  const unfence = async (name: 'unfence' | 'rollback-unfence') => {
    await step(name, from, () => from.client.unfence()).then(
      () => (report.writePauseMs = performance.now() - fenceStarted),
      () => undefined,
    );
  };

  // 1. Fence. A refused fence (a problem answer below 500, or 501: this node cannot fence,
  //    its Redis is older than 6.2) paused nothing; after any other failure (timeout, lost
  //    connection) writes may be paused: lift them to be sure.
  fenceStarted = performance.now();
  let fence;
  try {
    fence = await step('fence', from, () => from.client.fence({ body: { epoch, timeoutMs: fenceTimeoutMs } }));
  } catch (err) {
    if (!(err instanceof ProblemError && (err.status < 500 || err.status === 501))) {
      await unfence('rollback-unfence');
      report.rolledBack = true;
    }
    throw fail(`fence of ${nameOf(from)} failed: ${describeError(err)}`);
  }
  report.fencedOffset = fence.replicationOffset;

  // 2. Promote the target once it holds everything the old primary acknowledged.
  try {
    await step('check-target', to, async () => {
      const status = await to.client.getStatus();
      if (status.role !== 'replica' || status.replicationId !== fence.replicationId) {
        throw new Error(
          `${nameOf(to)} does not replicate from ${nameOf(from)} (role ${status.role}, replication id ${status.replicationId ?? 'unknown'})`,
        );
      }
    });
    await step('promote', to, () =>
      // The call may last as long as the catch-up the server waits for, plus margin: a client
      // timeout before the server's own would roll back while the target still promotes.
      to.client.promote(
        { body: { epoch, minOffset: fence.replicationOffset, timeoutSeconds: catchUpTimeoutSeconds, force: false } },
        { timeoutMs: catchUpTimeoutSeconds * 1000 + 5000 },
      ),
    );
  } catch (err) {
    await unfence('rollback-unfence');
    report.rolledBack = true;
    throw fail(`promote of ${nameOf(to)} failed: ${describeError(err)}; ${nameOf(from)} stays primary`);
  }

  // 3. Demote the old primary. On failure, put the target back under it (with the rollback
  //    epoch: see SwitchoverOptions.rollbackEpoch) and lift the fence.
  try {
    await step('demote-old-primary', from, () =>
      from.client.demote({ body: { primaryHost: to.redis.host, primaryPort: to.redis.port, epoch } }),
    );
  } catch (err) {
    report.highestEpoch = rollbackEpoch;
    await step('rollback-demote-target', to, () =>
      to.client.demote({ body: { primaryHost: from.redis.host, primaryPort: from.redis.port, epoch: rollbackEpoch } }),
    ).catch(() => undefined);
    await unfence('rollback-unfence');
    report.rolledBack = true;
    throw fail(`demote of ${nameOf(from)} failed: ${describeError(err)}; rolled back to ${nameOf(from)} as primary`);
  }
  report.committed = true;

  // 4. Repoint the others; 5. lift the fence. Committed: failures are reported, not undone.
  const repointed = await Promise.allSettled(
    others.map((node) =>
      step('repoint', node, () =>
        node.client.demote({ body: { primaryHost: to.redis.host, primaryPort: to.redis.port, epoch } }),
      ),
    ),
  );
  await unfence('unfence');
  const failed = report.steps.filter((s) => !s.ok);
  if (failed.length > 0 || repointed.some((r) => r.status === 'rejected')) {
    throw fail(
      `switchover to ${nameOf(to)} is committed, but ${failed.map((s) => `${s.step} of ${s.node}`).join(', ')} failed`,
    );
  }
  return finish();
}
