// Epoch fencing: the operator increases the epoch at every topology change, and a node
// accepts a change only when it is not older than the newest it has seen. Pure, so the
// rules are tested with a table.

/** What a node should look like: its role and, for a replica, its primary. */
export interface Topology {
  role: 'primary' | 'replica';
  primary: { host: string; port: number } | null;
}

export type EpochVerdict =
  /** Go ahead; record `epoch` as the newest (unchanged when the request carried none). */
  { accept: true; epoch: number | null } | { accept: false; reason: string };

export function sameTopology(a: Topology, b: Topology): boolean {
  if (a.role !== b.role) return false;
  if (a.role === 'primary') return true;
  return a.primary?.host.toLowerCase() === b.primary?.host.toLowerCase() && a.primary?.port === b.primary?.port;
}

/**
 * Decides whether a request may change the node from `current` to `requested`.
 * - no epoch in the request: no fencing (plain calls keep working), the stored epoch stays;
 * - older than the stored epoch: refused;
 * - equal: only a repeat of the same topology is accepted (an idempotent retry);
 * - newer (or nothing stored yet): accepted and recorded.
 */
export function checkEpoch(
  stored: number | null,
  requested: number | undefined,
  current: Topology,
  wanted: Topology,
): EpochVerdict {
  if (requested === undefined) return { accept: true, epoch: stored };
  if (stored === null || requested > stored) return { accept: true, epoch: requested };
  if (requested < stored) {
    return { accept: false, reason: `epoch ${requested} is older than the highest accepted epoch ${stored}` };
  }
  if (!sameTopology(current, wanted)) {
    return {
      accept: false,
      reason: `epoch ${requested} was already used for a different topology (${describe(current)}); a new topology needs a higher epoch`,
    };
  }
  return { accept: true, epoch: stored };
}

/** A fence changes no topology: it only has to be no older than the newest epoch. */
export function checkFenceEpoch(stored: number | null, requested: number | undefined): EpochVerdict {
  if (requested === undefined || stored === null || requested >= stored) return { accept: true, epoch: stored };
  return { accept: false, reason: `epoch ${requested} is older than the highest accepted epoch ${stored}` };
}

export function describe(t: Topology): string {
  return t.role === 'primary'
    ? 'primary'
    : t.primary
      ? `replica of ${t.primary.host}:${t.primary.port}`
      : 'replica with no primary';
}
