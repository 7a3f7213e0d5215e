// Role changes of this node: promote, demote, fence, unfence, and keeping redis-server in
// the role the state file gives it across restarts. The state file is the intent and is
// written before Redis is changed, so a manager or redis-server that dies in between comes
// back to the new role (reconcile), never to an empty writable primary.
import { hostname, networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { Schemas } from '../../contract.js';
import { ConflictError, ValidationError } from '../../errors.js';
import type { RedisAdapter } from '../../redis/adapter.js';
import { explainRefusal } from '../../redis/capabilities.js';
import { parseInfo } from '../../redis/info.js';
import type { PersistedState, PrimaryAddress, StateStore } from '../state/state-file.js';
import { isSelf, isValidHost, isValidPort } from './address.js';
import { checkEpoch, checkFenceEpoch, describe, sameTopology, type Topology } from './epoch.js';
import { PLACEHOLDER_PRIMARY } from './placeholder.js';
import { redisRole, type RedisRole } from './redis-role.js';
import type { OperationGuard } from '../operation-guard.js';
import { SingleFlight } from './single-flight.js';

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
  /** This node's Redis port, to refuse a demote to itself. */
  redisPort: number;
  /** Shared with updates and backups (src/domain/operation-guard.ts). */
  operations: OperationGuard;
}

export class Replication {
  private readonly lock: SingleFlight;
  private fenced: { until: number; runId: string } | null = null;
  private stopped = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private retrying = false;

  constructor(private readonly options: ReplicationOptions) {
    this.lock = new SingleFlight(options.operations);
  }

  private get state(): StateStore {
    return this.options.state;
  }

  private get redis(): RedisAdapter {
    return this.options.redis;
  }

  /** True while a CLIENT PAUSE of ours holds on the redis-server with this run id. */
  isFenced(runId: string): boolean {
    return this.fenced !== null && this.fenced.runId === runId && Date.now() < this.fenced.until;
  }

  /**
   * `caller` aborts when whoever asked is gone (the HTTP request closed): a promote still
   * waiting for minOffset then gives up and changes nothing, because the caller may already
   * have rolled back and a late promote would make a second primary.
   */
  async promote(request: PromoteRequest = {}, caller?: AbortSignal): Promise<RoleChange> {
    return this.lock.run('a promote', async () => {
      const wanted: Topology = { role: 'primary', primary: null };
      const epoch = this.admit(request.epoch, wanted);
      let view = await this.read();
      if (view.role === 'primary') return this.settle(view, wanted, epoch);
      if (request.minOffset !== undefined) {
        view = await this.waitForOffset(
          request.minOffset,
          request.timeoutSeconds ?? DEFAULT_PROMOTE_TIMEOUT_SECONDS,
          caller,
        );
      }
      if (!request.force) this.guardPromote(view);
      if (caller?.aborted) throw new ConflictError('the caller went away before the promote; nothing changed');
      return this.change(wanted, epoch, ['REPLICAOF', 'NO', 'ONE']);
    });
  }

  async demote(request: DemoteRequest): Promise<RoleChange> {
    const primary = { host: request.primaryHost, port: request.primaryPort ?? 6379 };
    this.validatePrimary(primary);
    return this.lock.run('a demote', async () => {
      const wanted: Topology = { role: 'replica', primary };
      const epoch = this.admit(request.epoch, wanted);
      const view = await this.read();
      if (follows(view, primary)) return this.settle(view, wanted, epoch);
      return this.change(wanted, epoch, ['REPLICAOF', primary.host, primary.port]);
    });
  }

  async fence(request: FenceRequest): Promise<Fence> {
    return this.lock.run('a fence', async () => {
      const verdict = checkFenceEpoch(this.state.current.epoch, request.epoch);
      if (!verdict.accept) throw new ConflictError(verdict.reason);
      const before = await this.read();
      if (before.role !== 'primary') throw new ConflictError('only a primary can be fenced; this node is a replica');
      await this.redis
        .command('CLIENT', 'PAUSE', request.timeoutMs, 'WRITE')
        .catch(explainRefusal(this.redis, 'fence'));
      const until = Date.now() + request.timeoutMs;
      this.fenced = { until, runId: before.runId };
      // Read after the pause: no write runs from here on, so this offset is final. If it
      // cannot be read, the caller gets no offset to promote with: lift the pause again.
      let view: RedisRole;
      try {
        view = await this.read();
      } catch (err) {
        this.fenced = null;
        await this.redis.command('CLIENT', 'UNPAUSE').catch(() => {});
        throw err;
      }
      this.options.log.info({ offset: view.offset, timeoutMs: request.timeoutMs }, 'writes fenced');
      return {
        fenced: true,
        replicationOffset: view.offset,
        until: new Date(until).toISOString(),
        replicationId: view.replicationId,
      };
    });
  }

  /** Lifts a pause. Never waits for the lock: it must work while anything else runs. */
  async unfence(): Promise<Fence> {
    await this.redis.command('CLIENT', 'UNPAUSE').catch(explainRefusal(this.redis, 'fence'));
    this.fenced = null;
    const view = await this.read();
    this.options.log.info({ offset: view.offset }, 'writes unfenced');
    return { fenced: false, replicationOffset: view.offset, until: null, replicationId: view.replicationId };
  }

  /** The epoch the request may record, or ConflictError when it is stale or conflicting. */
  private admit(requested: number | undefined, wanted: Topology): number | null {
    const { role, primary, epoch } = this.state.current;
    const verdict = checkEpoch(epoch, requested, { role, primary }, wanted);
    if (!verdict.accept) throw new ConflictError(verdict.reason);
    return verdict.epoch;
  }

  private validatePrimary(primary: PrimaryAddress): void {
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
    if (isSelf(primary.host, primary.port, this.options.redisPort, ownNames())) {
      throw new ValidationError(
        `${primary.host}:${primary.port} is this instance itself; a node cannot replicate from itself`,
        [{ path: 'primaryHost', message: 'names this instance itself' }],
      );
    }
  }

  private guardPromote(view: RedisRole): void {
    if (view.empty) {
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
      const view = await this.read();
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
  private async settle(view: RedisRole, wanted: Topology, epoch: number | null): Promise<RoleChange> {
    const current = this.state.current;
    const changed = !sameTopology({ role: current.role, primary: current.primary }, wanted);
    if (changed || epoch !== current.epoch) await this.persist(wanted, epoch, changed);
    return this.result(view, changed);
  }

  /** Writes the intent, then changes Redis; undoes the intent when Redis did not change. */
  private async change(
    wanted: Topology,
    epoch: number | null,
    command: [string, ...(string | number)[]],
  ): Promise<RoleChange> {
    const previous = { ...this.state.current };
    await this.persist(wanted, epoch, true);
    try {
      await this.redis.command(...command).catch(explainRefusal(this.redis, 'replication'));
    } catch (err) {
      await this.undoUnlessApplied(previous, wanted);
      throw err;
    }
    this.options.log.info({ to: describe(wanted), epoch }, 'role changed');
    return this.result(await this.read(), true);
  }

  private async undoUnlessApplied(previous: PersistedState, wanted: Topology): Promise<void> {
    const view = await this.read().catch(() => null);
    if (view && matches(view, wanted)) return;
    if (view === null) {
      // Redis cannot tell: keep the intent, which the next start of redis-server applies.
      this.options.log.warn({ to: describe(wanted) }, 'role change not confirmed by Redis; kept as intent');
      return;
    }
    await this.state.update({
      role: previous.role,
      primary: previous.primary,
      epoch: previous.epoch,
      roleChangedAt: previous.roleChangedAt,
    });
  }

  private async persist(wanted: Topology, epoch: number | null, changed: boolean): Promise<void> {
    await this.state.update({
      role: wanted.role,
      primary: wanted.primary,
      epoch,
      roleChangedAt: changed ? new Date().toISOString() : this.state.current.roleChangedAt,
    });
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

  /** Whether this node is a primary with an empty dataset now; null when Redis cannot say. */
  async isEmptyPrimary(): Promise<boolean | null> {
    try {
      const view = await this.read();
      return view.role === 'primary' && view.empty;
    } catch {
      return null;
    }
  }

  private async read(): Promise<RedisRole> {
    // `INFO` (default) has the server, replication and keyspace sections on every version;
    // multi-section INFO is Redis 7.0+ (bench/info-cost.ts has what each form costs).
    return redisRole(parseInfo(await this.redis.info('default')));
  }

  /**
   * Brings redis-server in line with the state file: a replica follows its primary (or the
   * placeholder); a primary that came back as a held replica resumes only with data.
   * Returns false when Redis could not be judged yet (down, loading, lock taken).
   */
  async reconcile(): Promise<boolean> {
    const settled = await this.lock
      .tryRun('a reconcile', async () => {
        const info = parseInfo(await this.redis.info('default'));
        if (info.fields.get('loading') === '1') return false;
        const view = redisRole(info);
        const desired = this.state.current;
        if (desired.role === 'replica') {
          const target = desired.primary ?? PLACEHOLDER_PRIMARY;
          if (!follows(view, target)) {
            this.options.log.warn(
              { to: describe(desired) },
              'redis-server disagrees with the state file; following it',
            );
            await this.redis.command('REPLICAOF', target.host, target.port);
          }
          return true;
        }
        if (view.role !== 'primary') {
          if (view.empty && !desired.emptyAtCleanShutdown) {
            this.options.log.warn(
              'redis-server came back empty where a primary is expected; held read-only until promoted with force or demoted',
            );
            return true;
          }
          this.options.log.info(
            { emptyAsStopped: view.empty },
            'redis-server came back with the dataset it had; resuming as primary',
          );
          await this.redis.command('REPLICAOF', 'NO', 'ONE');
        }
        // The excuse for an empty dataset covers one start only: a later crash is judged anew.
        if (desired.emptyAtCleanShutdown) await this.state.update({ emptyAtCleanShutdown: false });
        return true;
      })
      .catch((err: unknown) => {
        this.options.log.debug({ err }, 'reconcile: redis-server not ready yet');
        return false;
      });
    return settled === true;
  }

  /**
   * Reconciles now and, until it settles, again every 200 ms in the background. Only one
   * retry chain runs at a time, whatever calls this (start-up, every restart of Redis).
   */
  async reconcileSoon(): Promise<void> {
    // A chain already retrying will reconcile whatever Redis is running by then.
    if (this.stopped || this.retrying) return;
    if (await this.reconcile()) return;
    if (this.stopped || this.retrying) return;
    this.retrying = true;
    const retry = () => {
      if (this.stopped) return void (this.retrying = false);
      void this.reconcile().then((done) => {
        if (done || this.stopped) return void (this.retrying = false);
        this.reconcileTimer = setTimeout(retry, 200);
        this.reconcileTimer.unref();
      });
    };
    this.reconcileTimer = setTimeout(retry, 200);
    this.reconcileTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconcileTimer);
  }
}

/** Is Redis a replica of `target` (the placeholder included)? */
function follows(view: RedisRole, target: PrimaryAddress): boolean {
  if (view.role !== 'replica') return false;
  if (view.primary === null) return target === PLACEHOLDER_PRIMARY;
  return sameTopology({ role: 'replica', primary: view.primary }, { role: 'replica', primary: target });
}

function matches(view: RedisRole, wanted: Topology): boolean {
  return wanted.role === 'primary' ? view.role === 'primary' : wanted.primary !== null && follows(view, wanted.primary);
}

/** The names and addresses this machine answers to (hostname, interface addresses). */
function ownNames(): string[] {
  const names = [hostname()];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.push(a.address);
  return names;
}
