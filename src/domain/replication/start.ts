// What a start of the manager means for the primary role, recorded before redis-server is
// started or adopted: an exec (in-place upgrade) carries on as it was; a restart holds a
// primary for the operator (with the `hold` policy); the lease is started or dropped to
// match --primary-lease-seconds.
import type { PrimaryRestartPolicy } from '../../config/config.js';
import type { StateChange, StateStore } from '../state/state-file.js';
import { processStartTicks } from '../supervision/proc.js';
import { holdOnRestart, startKind, type ProcessIdentity, type StartKind } from './hold.js';

export interface StartPolicy {
  onPrimaryRestart: PrimaryRestartPolicy;
  leaseSeconds: number;
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, startTicks: processStartTicks() };
}

export async function recordStart(
  state: StateStore,
  policy: StartPolicy,
  self: ProcessIdentity = currentProcess(),
): Promise<StartKind> {
  const kind = startKind(state.created, state.current, self);
  const now = new Date();
  const change: StateChange = {};
  // The marker is good for the one start that follows the exec.
  if (state.current.exec !== null) change.exec = null;
  const held = holdOnRestart(state.current, kind, policy.onPrimaryRestart, now);
  if (held) change.held = held;
  const { role, leaseExpiresAt } = state.current;
  if (policy.leaseSeconds === 0 && leaseExpiresAt !== null) change.leaseExpiresAt = null;
  if (policy.leaseSeconds > 0 && role === 'primary' && leaseExpiresAt === null) {
    // A primary that had no lease (a new node, or leases just turned on) gets a full one.
    change.leaseExpiresAt = new Date(now.getTime() + policy.leaseSeconds * 1000).toISOString();
  }
  if (Object.keys(change).length > 0) await state.update(change);
  return kind;
}

/** The marker the manager writes just before it execs a new build (see recordStart). */
export function execMarker(self: ProcessIdentity = currentProcess()): StateChange {
  return { exec: self.startTicks === null ? null : { pid: self.pid, startTicks: self.startTicks } };
}
