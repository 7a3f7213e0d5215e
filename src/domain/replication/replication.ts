// Role changes of this node: promote, demote, fence, unfence, and holding a primary the
// operator has not confirmed. The state file is the intent and is written before Redis is
// changed, so a manager or redis-server that dies in between comes back to the new role
// (the reconcile, reconciler.ts), never to an empty writable primary.
//
// Two locks, for two different things:
// - `lock` (RefusingLock): one operator change at a time; a second is refused with 409;
// - `serial` (Mutex): every write of a role to the state file and Redis, whoever makes it
//   (an operator's change, the reconcile, the lease expiry), runs in turn, so a lease that
//   expires while a promote is applied can neither be lost nor undo it.
import type { Logger } from 'pino';
import type { Schemas } from '../../contract.js';
import { ConflictError, ValidationError } from '../../errors.js';
import type { RedisAdapter } from '../../redis/adapter.js';
import { Mutex } from '../mutex.js';
import { explainRefusal } from '../../redis/capabilities.js';
import type { OperationGuard } from '../operation-guard.js';
import type { HeldReason, PersistedState, PrimaryAddress, StateChange, StateStore } from '../state/state-file.js';
import { isValidHost, isValidPort } from './address.js';
import { checkEpoch, checkFenceEpoch, describe, sameTopology, type Topology } from './epoch.js';
import { heldReadinessReason, leaseExpired } from './hold.js';
import { LeaseWatch } from './lease-watch.js';
import { PLACEHOLDER_PRIMARY } from './placeholder.js';
import { Reconciler } from './reconciler.js';
import { follows, matches } from './reconcile-rules.js';
import { readRole, type RedisRole } from './redis-role.js';
import { RefusingLock } from './refusing-lock.js';
import type { SelfCheck } from './self-check.js';

// Defaults in the contract make generated fields required; callers may omit them.
export type PromoteRequest = Partial<Schemas['PromoteRequest']>;
export type DemoteRequest = Omit<Schemas['DemoteRequest'], 'primaryPort'> & { primaryPort?: number };
export type FenceRequest = Schemas['FenceRequest'];
export type RoleChange = Schemas['RoleChange'];
export type Fence = Schemas['Fence'];

export const DEFAULT_PROMOTE_TIMEOUT_SECONDS = 10;
/** How often a promote with minOffset looks at the replica's offset. */
// Often enough that a switchover waits little, rarely enough to cost the catching-up replica
// nothing noticeable (100 INFO calls a second at most).
const OFFSET_POLL_MS = 10;

export interface ReplicationOptions {
  redis: RedisAdapter;
  state: StateStore;
  log: Logger;
  /** Refuses a demote to this node itself, however it is named. */
  selfCheck: SelfCheck;
  /** Shared with updates and backups (src/domain/operation-guard.ts). */
  operations: OperationGuard;
  /** --primary-lease-seconds; 0 means no lease. */
  leaseSeconds: number;
}

export class Replication {
  private readonly lock: RefusingLock;
  private readonly serial = new Mutex();
  /** Keeps redis-server in line with the state file (after restarts, and against drift). */
  readonly reconciler: Reconciler;
  private readonly leaseWatch: LeaseWatch;

  constructor(private readonly options: ReplicationOptions) {
    this.lock = new RefusingLock(options.operations);
    this.reconciler = new Reconciler({
      redis: options.redis,
      state: options.state,
      log: options.log,
      busy: () => options.operations.isActive('replication') || options.operations.isActive('update'),
      serial: this.serial,
      hold: (reason) => this.hold(reason),
    });
    this.leaseWatch = new LeaseWatch(options.state, () => this.hold('lease-expired'));
  }

  private get state(): StateStore {
    return this.options.state;
  }

  private get redis(): RedisAdapter {
    return this.options.redis;
  }

  /** Starts the lease watch and (where the manager owns Redis) the reconcile: one now, then the loop. */
  async start(what: { reconcile: boolean }): Promise<void> {
    if (this.options.leaseSeconds > 0) this.leaseWatch.start();
    if (what.reconcile) await this.reconciler.start();
  }

  stop(): void {
    this.leaseWatch.stop();
    this.reconciler.stop();
  }

  /**
   * A new redis-server was started (after an exit): a pause of ours died with the old one,
   * and the new one is brought in line with the state file.
   */
  redisStarted(): void {
    void this.state.update({ fence: null }).catch(() => false);
    this.reconciler.soon();
  }

  /** Until when our pause lasts, as recorded (cleared when redis-server restarts); null when none. */
  fencedUntil(now = new Date()): string | null {
    const fence = this.state.current.fence;
    return fence !== null && now.getTime() < Date.parse(fence.until) ? fence.until : null;
  }

  /** The pause of ours on the redis-server with this run id, while it lasts; null otherwise. */
  fenceOn(runId: string, now = new Date()): { until: string } | null {
    const fence = this.state.current.fence;
    return fence !== null && fence.runId === runId && now.getTime() < Date.parse(fence.until)
      ? { until: fence.until }
      : null;
  }

  /**
   * `caller` aborts when whoever asked is gone (the HTTP request closed): a promote still
   * waiting for minOffset then gives up and changes nothing, because the caller may already
   * have rolled back and a late promote would make a second primary.
   *
   * A promote that confirms this node (an epoch not older than its own, or any promote when
   * it has none) releases a hold and renews the primary lease.
   */
  async promote(request: PromoteRequest = {}, caller?: AbortSignal): Promise<RoleChange> {
    return this.lock.run('a promote', async () => {
      const wanted: Topology = { role: 'primary', primary: null };
      this.assertConfirms(request.epoch);
      const epoch = this.admit(request.epoch, wanted);
      let view = await readRole(this.redis);
      const held = this.state.current.held !== null;
      if (view.role === 'primary' && !held) return this.settle(view, wanted, epoch, this.confirmation(request.epoch));
      if (request.minOffset !== undefined) {
        view = await this.waitForOffset(
          request.minOffset,
          request.timeoutSeconds ?? DEFAULT_PROMOTE_TIMEOUT_SECONDS,
          caller,
        );
      }
      if (!request.force) this.guardPromote(view);
      if (caller?.aborted) throw new ConflictError('the caller went away before the promote; nothing changed');
      return this.change(wanted, epoch, ['REPLICAOF', 'NO', 'ONE'], this.confirmation(request.epoch));
    });
  }

  async demote(request: DemoteRequest): Promise<RoleChange> {
    const primary = { host: request.primaryHost, port: request.primaryPort ?? 6379 };
    await this.validatePrimary(primary);
    return this.lock.run('a demote', async () => {
      const wanted: Topology = { role: 'replica', primary };
      const epoch = this.admit(request.epoch, wanted);
      const view = await readRole(this.redis);
      // A replica has no hold and no lease: whatever it was held for, the operator decided.
      const released: StateChange = { held: null, leaseExpiresAt: null };
      if (follows(view, primary)) return this.settle(view, wanted, epoch, released);
      return this.change(wanted, epoch, ['REPLICAOF', primary.host, primary.port], released);
    });
  }

  async fence(request: FenceRequest): Promise<Fence> {
    return this.lock.run('a fence', async () => {
      const verdict = checkFenceEpoch(this.state.current.epoch, request.epoch);
      if (!verdict.accept) throw new ConflictError(verdict.reason);
      const held = this.state.current.held;
      if (held !== null) {
        throw new ConflictError(
          `a held primary takes no writes and cannot be fenced (${heldReadinessReason(held.reason)})`,
        );
      }
      const before = await readRole(this.redis);
      if (before.role !== 'primary') throw new ConflictError('only a primary can be fenced; this node is a replica');
      return this.serial.run(async () => {
        await this.redis
          .command('CLIENT', 'PAUSE', request.timeoutMs, 'WRITE')
          .catch(explainRefusal(this.redis, 'fence'));
        const until = new Date(Date.now() + request.timeoutMs).toISOString();
        // Read after the pause: no write runs from here on, so this offset is final. If it
        // cannot be read, or the fence cannot be recorded, the caller gets no offset to
        // promote with: lift the pause again.
        let view: RedisRole;
        try {
          view = await readRole(this.redis);
          // Recorded so that a restarted or upgraded manager still reports it truthfully.
          await this.state.update({ fence: { until, runId: before.runId } });
        } catch (err) {
          await this.redis.command('CLIENT', 'UNPAUSE').catch(() => {});
          await this.state.update({ fence: null }).catch(() => false);
          throw err;
        }
        this.options.log.info({ offset: view.offset, timeoutMs: request.timeoutMs }, 'writes fenced');
        return { fenced: true, replicationOffset: view.offset, until, replicationId: view.replicationId };
      });
    });
  }

  /** Lifts a pause. Never waits for the lock: it must work while anything else runs. */
  async unfence(): Promise<Fence> {
    await this.redis.command('CLIENT', 'UNPAUSE').catch(explainRefusal(this.redis, 'fence'));
    await this.state.update({ fence: null });
    const view = await readRole(this.redis);
    this.options.log.info({ offset: view.offset }, 'writes unfenced');
    return { fenced: false, replicationOffset: view.offset, until: null, replicationId: view.replicationId };
  }

  /**
   * Holds this primary: recorded first, then Redis follows the placeholder (read-only at once).
   * A lease expiry holds only if nothing renewed the lease meanwhile; any hold only a
   * writable primary. Runs in turn with every other role write, never refused.
   */
  async hold(reason: HeldReason): Promise<void> {
    await this.serial.run(async () => {
      const since = new Date();
      const applies = (s: Readonly<PersistedState>) =>
        reason === 'lease-expired' ? leaseExpired(s, since) : s.role === 'primary' && s.held === null;
      let held: boolean;
      try {
        held = await this.state.update((s) => (applies(s) ? { held: { reason, since: since.toISOString() } } : null));
      } catch (err) {
        // Not recorded (disk full?): Redis is left as it is, and the caller tries again.
        this.options.log.error({ err, reason }, 'could not record the hold of this primary');
        throw err;
      }
      if (!held) return;
      this.options.log.warn({ reason }, 'primary held: read-only until the operator confirms it or demotes it');
      try {
        await this.redis.command('REPLICAOF', PLACEHOLDER_PRIMARY.host, PLACEHOLDER_PRIMARY.port);
      } catch (err) {
        // Recorded: the reconcile (retrying until Redis answers) and every restart apply it.
        this.options.log.warn({ err }, 'could not make redis-server read-only yet; the reconcile will');
        this.reconciler.soon();
      }
    });
  }

  /** Whether this node is a primary with an empty dataset now; null when Redis cannot say. */
  async isEmptyPrimary(): Promise<boolean | null> {
    try {
      const view = await readRole(this.redis);
      return view.role === 'primary' && view.empty;
    } catch {
      return null;
    }
  }

  /**
   * A held node takes its writes back only from the operator's word: a promote with an epoch
   * not older than its own (the epoch rule checks "not older"; here: present), unless it has
   * never recorded one.
   */
  private assertConfirms(requested: number | undefined): void {
    const { held, epoch } = this.state.current;
    if (held !== null && requested === undefined && epoch !== null) {
      throw new ConflictError(
        `this primary is held (${held.reason}); confirm it with a promote carrying an epoch not older than ${epoch}, or demote it`,
      );
    }
  }

  /** What a confirming promote records: no hold, and a fresh lease when leases are on. */
  private confirmation(requested: number | undefined): StateChange {
    const confirms = requested !== undefined || this.state.current.epoch === null;
    if (!confirms) return {};
    const { leaseSeconds } = this.options;
    return {
      held: null,
      leaseExpiresAt: leaseSeconds > 0 ? new Date(Date.now() + leaseSeconds * 1000).toISOString() : null,
      emptyAtCleanShutdown: false,
    };
  }

  /** The epoch the request may record, or ConflictError when it is stale or conflicting. */
  private admit(requested: number | undefined, wanted: Topology): number | null {
    const { role, primary, epoch } = this.state.current;
    const verdict = checkEpoch(epoch, requested, { role, primary }, wanted);
    if (!verdict.accept) throw new ConflictError(verdict.reason);
    return verdict.epoch;
  }

  private async validatePrimary(primary: PrimaryAddress): Promise<void> {
    if (!isValidHost(primary.host)) {
      throw new ValidationError(`primaryHost ${JSON.stringify(primary.host)} is not a hostname or an IP address`, [
        { path: 'primaryHost', message: 'must be a hostname or an IP address' },
      ]);
    }
    if (!isValidPort(primary.port)) {
      throw new ValidationError(`primaryPort ${primary.port} is not a port (1-65535)`, [
        { path: 'primaryPort', message: 'must be 1-65535' },
      ]);
    }
    await this.options.selfCheck.assertNotSelf(primary);
  }

  private guardPromote(view: RedisRole): void {
    if (view.empty && !this.state.current.emptyAtCleanShutdown) {
      throw new ConflictError(
        'refusing to promote an empty dataset (its replicas would resync to nothing); pass force: true if that is intended',
      );
    }
    // A held ex-primary never synced either; only a replica is judged by its link.
    if (view.neverSynced && this.state.current.role === 'replica') {
      throw new ConflictError(
        'refusing to promote a replica whose link to its primary never completed a sync since redis-server started; pass force: true if its data is known to be current',
      );
    }
  }

  private async waitForOffset(minOffset: number, timeoutSeconds: number, caller?: AbortSignal): Promise<RedisRole> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      if (caller?.aborted)
        throw new ConflictError(`the caller went away while waiting for minOffset ${minOffset}; nothing changed`);
      const view = await readRole(this.redis);
      if (view.offset >= minOffset) return view;
      if (Date.now() >= deadline) {
        throw new ConflictError(
          `replication offset ${view.offset} did not reach minOffset ${minOffset} within ${timeoutSeconds} s; nothing changed`,
        );
      }
      await new Promise((r) => setTimeout(r, OFFSET_POLL_MS));
    }
  }

  /** Redis already has the wanted role: record a newer epoch (or a lagging state file). */
  private async settle(
    view: RedisRole,
    wanted: Topology,
    epoch: number | null,
    extra: StateChange,
  ): Promise<RoleChange> {
    return this.serial.run(async () => {
      const current = this.state.current;
      const changed = !sameTopology({ role: current.role, primary: current.primary }, wanted);
      await this.state.update({ ...this.intent(wanted, epoch, changed), ...extra });
      return this.result(view, changed);
    });
  }

  /** Writes the intent, then changes Redis; undoes the intent when Redis did not change. */
  private async change(
    wanted: Topology,
    epoch: number | null,
    command: [string, ...(string | number)[]],
    extra: StateChange,
  ): Promise<RoleChange> {
    return this.serial.run(async () => {
      const previous = { ...this.state.current };
      await this.state.update({ ...this.intent(wanted, epoch, true), ...extra });
      try {
        await this.redis.command(...command).catch(explainRefusal(this.redis, 'replication'));
      } catch (err) {
        await this.undoUnlessApplied(previous, wanted);
        throw err;
      }
      this.options.log.info({ to: describe(wanted), epoch }, 'role changed');
      return this.result(await readRole(this.redis), true);
    });
  }

  private async undoUnlessApplied(previous: PersistedState, wanted: Topology): Promise<void> {
    const view = await readRole(this.redis).catch(() => null);
    if (view && matches(view, wanted)) return;
    if (view === null) {
      // Redis cannot tell: keep the intent, which the next start of redis-server applies.
      this.options.log.warn({ to: describe(wanted) }, 'role change not confirmed by Redis; kept as intent');
      return;
    }
    const { role, primary, epoch, roleChangedAt, held, leaseExpiresAt, emptyAtCleanShutdown } = previous;
    await this.state.update({ role, primary, epoch, roleChangedAt, held, leaseExpiresAt, emptyAtCleanShutdown });
  }

  private intent(wanted: Topology, epoch: number | null, changed: boolean): StateChange {
    return {
      role: wanted.role,
      primary: wanted.primary,
      epoch,
      roleChangedAt: changed ? new Date().toISOString() : this.state.current.roleChangedAt,
    };
  }

  private result(view: RedisRole, changed: boolean): RoleChange {
    const { role, primary, epoch, roleChangedAt } = this.state.current;
    return {
      role,
      changed,
      replicationOffset: view.offset,
      epoch,
      primary:
        role === 'replica' && primary
          ? { ...primary, linkStatus: view.linkUp && view.role === 'replica' ? 'up' : 'down' }
          : null,
      changedAt: roleChangedAt,
    };
  }
}
