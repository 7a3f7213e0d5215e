// The small state file in the data directory: the role this node should have, its
// primary, and the highest epoch accepted. It outlives both redis-server and the manager,
// so a restarted node comes back in the role the operator last gave it.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Role } from '../../config/config.js';
import { writeFileDurably } from '../durable-file.js';

export interface PrimaryAddress {
  host: string;
  port: number;
}

/**
 * Why a primary takes no writes until the operator confirms it (src/domain/replication/hold.ts):
 * - `restart`: its redis-server, its manager or its pod restarted, and a newer primary may
 *   have been elected meanwhile;
 * - `lease-expired`: the operator did not renew its primary lease in time.
 */
export type HeldReason = 'restart' | 'lease-expired';

export const HELD_REASONS: readonly HeldReason[] = ['restart', 'lease-expired'];

export interface Hold {
  reason: HeldReason;
  since: string;
}

/** A write pause of ours (POST /v1/fence) on the redis-server with this run id. */
export interface PersistedFence {
  until: string;
  runId: string;
}

/** Written just before the manager execs a new build: the start that finds it is no restart. */
export interface ExecMarker {
  pid: number;
  /** The process's start time (/proc/<pid>/stat), which an exec keeps and a new process does not. */
  startTicks: number;
}

export interface PersistedState {
  role: Role;
  primary: PrimaryAddress | null;
  epoch: number | null;
  /** When the operator last changed the role or the primary; null when never. */
  roleChangedAt: string | null;
  /**
   * The manager stopped this primary cleanly while its dataset was empty, so coming back
   * empty is expected (not data loss): it may resume as primary. Cleared at the next start.
   */
  emptyAtCleanShutdown: boolean;
  /** Set while this primary is held read-only until the operator confirms it; null otherwise. */
  held: Hold | null;
  /** When the primary lease ends unless renewed (--primary-lease-seconds); null without a lease. */
  leaseExpiresAt: string | null;
  fence: PersistedFence | null;
  exec: ExecMarker | null;
  updatedAt: string;
}

export const STATE_FILE_NAME = 'instance-manager-state.json';

export function stateFilePath(dataDir: string): string {
  return join(dataDir, STATE_FILE_NAME);
}

/** Reads the state file; null when there is none yet (a fresh node). */
export async function readState(dataDir: string): Promise<PersistedState | null> {
  let text: string;
  try {
    text = await readFile(stateFilePath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return validateState(JSON.parse(text) as unknown);
}

function validateState(value: unknown): PersistedState {
  const v = value as Partial<PersistedState> | null;
  if (!v || (v.role !== 'primary' && v.role !== 'replica'))
    throw new Error('state file: role must be primary or replica');
  const primary = v.primary ?? null;
  if (primary !== null && (typeof primary.host !== 'string' || !Number.isInteger(primary.port))) {
    throw new Error('state file: primary must be { host, port } or null');
  }
  const epoch = v.epoch ?? null;
  if (epoch !== null && (!Number.isSafeInteger(epoch) || epoch < 0))
    throw new Error('state file: epoch must be a non-negative integer');
  return {
    role: v.role,
    primary,
    epoch,
    roleChangedAt: typeof v.roleChangedAt === 'string' ? v.roleChangedAt : null,
    emptyAtCleanShutdown: v.emptyAtCleanShutdown === true,
    held: validHold(v.held),
    leaseExpiresAt: typeof v.leaseExpiresAt === 'string' ? v.leaseExpiresAt : null,
    fence: validFence(v.fence),
    exec: validExecMarker(v.exec),
    updatedAt: typeof v.updatedAt === 'string' ? v.updatedAt : new Date(0).toISOString(),
  };
}

// A field this version cannot read is treated as absent, except a hold: a hold whose reason
// is unknown (written by a newer build) is kept as a restart hold, never dropped, so that a
// downgrade cannot turn a held primary writable.
function validHold(value: unknown): Hold | null {
  if (value === null || value === undefined) return null;
  const h = value as Partial<Hold>;
  const reason = HELD_REASONS.includes(h.reason as HeldReason) ? (h.reason as HeldReason) : 'restart';
  return { reason, since: typeof h.since === 'string' ? h.since : new Date(0).toISOString() };
}

function validFence(value: unknown): PersistedFence | null {
  const f = value as Partial<PersistedFence> | null | undefined;
  return f && typeof f.until === 'string' && typeof f.runId === 'string' ? { until: f.until, runId: f.runId } : null;
}

function validExecMarker(value: unknown): ExecMarker | null {
  const m = value as Partial<ExecMarker> | null | undefined;
  return m && Number.isSafeInteger(m.pid) && Number.isSafeInteger(m.startTicks)
    ? { pid: m.pid!, startTicks: m.startTicks! }
    : null;
}

/** The state of a node created now: `role`, nothing else known yet. */
export function initialState(role: Role): PersistedState {
  return {
    role,
    primary: null,
    epoch: null,
    roleChangedAt: null,
    emptyAtCleanShutdown: false,
    held: null,
    leaseExpiresAt: null,
    fence: null,
    exec: null,
    updatedAt: new Date().toISOString(),
  };
}

/** Writes the state atomically: a crash leaves the old file or the new one, never half. */
export async function writeState(dataDir: string, state: PersistedState): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileDurably(stateFilePath(dataDir), JSON.stringify(state, null, 2) + '\n');
}

/** The state in memory, backed by the file: every change is written before it is visible. */
export class StateStore {
  private constructor(
    private readonly dataDir: string,
    private state: PersistedState,
    /** True when this process found no state file and wrote the first one. */
    readonly created = false,
  ) {}

  /** The state file wins; a fresh node starts in `initialRole` and records it. */
  static async open(dataDir: string, initialRole: Role): Promise<StateStore> {
    const existing = await readState(dataDir);
    if (existing) return new StateStore(dataDir, existing);
    const fresh = initialState(initialRole);
    await writeState(dataDir, fresh);
    return new StateStore(dataDir, fresh, true);
  }

  get current(): Readonly<PersistedState> {
    return this.state;
  }

  /**
   * Writes a change, then makes it visible. Changes are applied one at a time, each to the
   * state the previous one left, so two callers never overwrite each other's fields. A
   * function is called at its turn with the current state and may return null to change
   * nothing (a check-and-set: the lease expiry holds a primary only if nothing renewed it
   * meanwhile). Resolves to whether anything was written.
   */
  update(change: StateChange | ((current: Readonly<PersistedState>) => StateChange | null)): Promise<boolean> {
    const turn = this.queue.then(async () => {
      const wanted = typeof change === 'function' ? change(this.state) : change;
      // A change that changes nothing writes nothing (repeated calls cost no fsync).
      if (wanted === null || unchanged(this.state, wanted)) return false;
      const next: PersistedState = { ...this.state, ...wanted, updatedAt: new Date().toISOString() };
      await writeState(this.dataDir, next);
      this.state = next;
      return true;
    });
    // A failed write fails its caller only; the next change still gets its turn.
    this.queue = turn.catch(() => false);
    return turn;
  }

  private queue: Promise<unknown> = Promise.resolve();
}

export type StateChange = Partial<Omit<PersistedState, 'updatedAt'>>;

function unchanged(state: PersistedState, change: StateChange): boolean {
  return Object.entries(change).every(
    ([key, value]) => JSON.stringify(state[key as keyof PersistedState]) === JSON.stringify(value),
  );
}
