// Keeps redis-server in the role the state file gives it: after every start of redis-server
// (the manager's own, or a restart after a crash) and, continuously, against drift (a
// REPLICAOF sent behind the manager's back). What to do is decided by reconcileAction
// (reconcile-rules.ts); this runs it.
//
// - It never runs while a replication change or an update is in progress (it tries again
//   later), nor while Redis is loading. It never takes the operators' lock either: an
//   operator's call is never refused (409) because a background check happened to run.
// - It never makes a held primary writable: a hold is released only by the operator. It does
//   put a held primary back behind the placeholder if something made it writable.
// - A correction on a redis-server that was already in line (same run id) is drift: logged
//   and counted (redis_role_drift_corrections_total).
import type { Logger } from 'pino';
import type { RedisAdapter } from '../../redis/adapter.js';
import type { Mutex } from '../mutex.js';
import type { HeldReason, StateStore } from '../state/state-file.js';
import { describe } from './epoch.js';
import { reconcileAction } from './reconcile-rules.js';
import { readRole } from './redis-role.js';

/** How soon a reconcile that could not judge Redis (down, loading, busy) tries again. */
const RETRY_MS = 200;
/** How often Redis is compared with the state file once settled: drift is corrected within this. */
const DRIFT_CHECK_MS = 1000;

export interface ReconcilerOptions {
  redis: RedisAdapter;
  state: StateStore;
  log: Logger;
  /** True while an operation is in progress that the reconcile must not run beside. */
  busy: () => boolean;
  /** Orders the reconcile's writes with every other role write (see replication.ts). */
  serial: Mutex;
  /** Holds the primary (a primary that came back empty). */
  hold: (reason: HeldReason) => Promise<void>;
}

export class Reconciler {
  /** Corrections of a redis-server that had already been in line: drift. */
  driftCorrections = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The run id of the redis-server last seen in line with the state file. */
  private settledRunId: string | null = null;

  constructor(private readonly options: ReconcilerOptions) {}

  /**
   * One reconcile now (bounded by the Redis timeout), then the loop in the background: a
   * Redis still loading a large dataset must not keep the start-up waiting.
   */
  async start(): Promise<void> {
    this.stopped = false;
    const settled = await this.reconcile();
    this.schedule(settled ? DRIFT_CHECK_MS : RETRY_MS);
  }

  /** Asks for a reconcile as soon as possible (redis-server was just started again). */
  soon(): void {
    this.settledRunId = null;
    if (!this.stopped) this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.reconcile().then((settled) => {
        if (!this.stopped) this.schedule(settled ? DRIFT_CHECK_MS : RETRY_MS);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Brings Redis in line once. False when Redis could not be judged (down, loading, lock taken). */
  async reconcile(): Promise<boolean> {
    const { log, redis, state } = this.options;
    if (this.options.busy()) return false;
    const settled = await this.options.serial
      .run(async () => {
        const view = await readRole(redis);
        if (view.loading) return false;
        const desired = state.current;
        const action = reconcileAction(view, desired);
        const drift = action.kind !== 'none' && this.settledRunId === view.runId;
        const context = { to: describe(desired), held: desired.held?.reason ?? null, runId: view.runId };
        if (drift)
          log.warn(
            { ...context, action: action.kind },
            'role drift: redis-server was changed behind the manager; correcting it',
          );
        switch (action.kind) {
          case 'none':
            break;
          case 'follow':
            if (!drift) log.warn(context, 'redis-server disagrees with the state file; following it');
            await redis.command('REPLICAOF', action.target.host, action.target.port);
            break;
          case 'resume':
            if (!drift)
              log.info(context, 'redis-server came back behind the placeholder with its dataset; resuming as primary');
            await redis.command('REPLICAOF', 'NO', 'ONE');
            break;
          case 'hold-empty':
            log.warn(
              'redis-server came back empty where a primary is expected; held read-only until promoted with force or demoted',
            );
            break;
        }
        if (drift) this.driftCorrections++;
        // The excuse for an empty dataset covers one start only: a later crash is judged anew.
        if (desired.emptyAtCleanShutdown && (action.kind === 'none' || action.kind === 'resume')) {
          await state.update({ emptyAtCleanShutdown: false });
        }
        this.settledRunId = view.runId;
        return action.kind;
      })
      .catch((err: unknown) => {
        log.debug({ err }, 'reconcile: redis-server not ready yet');
        return false as const;
      });
    // The hold takes the serial lock itself, so it is applied after the section above.
    if (settled === 'hold-empty') {
      // Not recorded (logged by hold): not settled, so the next round tries again.
      if (
        !(await this.options.hold('restart').then(
          () => true,
          () => false,
        ))
      )
        return false;
    }
    return settled !== false;
  }
}
