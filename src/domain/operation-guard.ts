// One "operation in progress" guard per instance, shared by the modules whose operations
// must not overlap: an update (which ends in an exec) cannot run beside a backup or a
// replication change, and no two of one kind run at once. A module joins by holding a
// lease for the length of its operation:
//
//   const lease = instance.operations.begin('backup', 'backup 42');   // 409 when refused
//   try { … } finally { lease.release(); }
//
// The rule is deliberately simple: an update conflicts with everything, and any operation
// conflicts with another of its own kind. Backups and replication changes may overlap.
import { ConflictError } from '../errors.js';

export type OperationKind = 'update' | 'backup' | 'replication';

export interface OperationLease {
  readonly kind: OperationKind;
  readonly description: string;
  readonly since: Date;
  /** Ends the operation; calling it again does nothing. */
  release(): void;
}

export function conflicts(a: OperationKind, b: OperationKind): boolean {
  return a === b || a === 'update' || b === 'update';
}

export class OperationGuard {
  private readonly held = new Set<OperationLease>();

  /** The operations in progress now. */
  get current(): readonly OperationLease[] {
    return [...this.held];
  }

  isActive(kind: OperationKind): boolean {
    return this.current.some((lease) => lease.kind === kind);
  }

  /** Starts an operation, or returns undefined when another is in the way. */
  tryBegin(kind: OperationKind, description: string = kind): OperationLease | undefined {
    return this.current.some((lease) => conflicts(lease.kind, kind)) ? undefined : this.begin(kind, description);
  }

  /** Starts an operation, or throws ConflictError (409) naming the one in the way. */
  begin(kind: OperationKind, description: string = kind): OperationLease {
    const blocking = this.current.find((lease) => conflicts(lease.kind, kind));
    if (blocking) {
      throw new ConflictError(
        `cannot start ${description}: ${blocking.description} is in progress since ${blocking.since.toISOString()}`,
      );
    }
    const held = this.held;
    const lease: OperationLease = {
      kind,
      description,
      since: new Date(),
      release() {
        held.delete(lease);
      },
    };
    held.add(lease);
    return lease;
  }
}
