// The small state file in the data directory: the role this node should have, its
// primary, and the highest epoch accepted. It outlives both redis-server and the manager,
// so a restarted node comes back in the role the operator last gave it.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Role } from '../../config/config.js';

export interface PrimaryAddress {
  host: string;
  port: number;
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
    updatedAt: typeof v.updatedAt === 'string' ? v.updatedAt : new Date(0).toISOString(),
  };
}

/** Writes the state atomically: a crash leaves the old file or the new one, never half. */
export async function writeState(dataDir: string, state: PersistedState): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const target = stateFilePath(dataDir);
  const temp = `${target}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(state, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    // Disk full or I/O error: leave no half-written temporary file behind.
    await rm(temp, { force: true });
    throw err;
  }
  // The rename is durable only once the directory entry is on disk.
  const dir = await open(dataDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
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
    const fresh: PersistedState = {
      role: initialRole,
      primary: null,
      epoch: null,
      roleChangedAt: null,
      emptyAtCleanShutdown: false,
      updatedAt: new Date().toISOString(),
    };
    await writeState(dataDir, fresh);
    return new StateStore(dataDir, fresh, true);
  }

  get current(): Readonly<PersistedState> {
    return this.state;
  }

  async update(change: Partial<Omit<PersistedState, 'updatedAt'>>): Promise<void> {
    const next: PersistedState = { ...this.state, ...change, updatedAt: new Date().toISOString() };
    await writeState(this.dataDir, next);
    this.state = next;
  }
}
