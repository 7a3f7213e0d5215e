// Readiness: may this pod receive traffic? The rules are a pure function of what PING and
// INFO replication said, so they are tested with tables; checkReadiness gathers the inputs
// with both commands in flight at once, so the probe answers within one timeout.
import { messageOf } from '../../errors.js';
import { RedisReplyError, type RedisAdapter } from '../../redis/adapter.js';
import { parseInfo, type Info } from '../../redis/info.js';
import type { Role } from '../../config/config.js';
import { heldReadinessReason } from '../replication/hold.js';
import { replicationView } from '../replication/view.js';
import type { HeldReason } from '../state/state-file.js';

export type PingOutcome = { ok: true } | { ok: false; code: string; message: string };

/** What the manager knows without asking Redis (the state file, the configuration). */
export interface ReadinessContext {
  /** The role the operator last gave this node. */
  desiredRole: Role;
  /** Why this primary is held for the operator; null when it is not. */
  held: HeldReason | null;
  /** Until when writes are paused by POST /v1/fence; null when they are not. */
  fencedUntil?: string | null;
  maxLagSeconds: number;
}

export interface ReadinessInput extends ReadinessContext {
  ping: PingOutcome;
  /** INFO replication, or null when it could not be read. */
  replication: Info | null;
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

const REPLY_REASONS: Record<string, string> = {
  LOADING: 'loading: Redis is loading the dataset into memory',
  BUSY: 'busy: Redis is busy running a script or function',
  MASTERDOWN: 'master-down: the link to the primary is down and stale reads are disabled',
};

export function readinessRules(input: ReadinessInput): Readiness {
  const reasons: string[] = [];
  if (!input.ping.ok) {
    reasons.push(REPLY_REASONS[input.ping.code] ?? `unreachable: ${input.ping.message}`);
    return { ready: false, reasons };
  }
  const info = input.replication;
  if (info === null) return { ready: false, reasons: ['unreachable: INFO replication did not answer'] };
  const view = replicationView(info);
  if (input.desiredRole === 'primary' && input.held !== null) {
    // A held primary is not ready whatever Redis says: the operator has not confirmed it.
    reasons.push(heldReadinessReason(input.held));
  } else if (input.fencedUntil) {
    // Writes sent to it would wait: traffic belongs elsewhere while a switchover runs.
    reasons.push(`fenced: writes are paused (POST /v1/fence) until ${input.fencedUntil}`);
  } else if (view.behindPlaceholder) {
    reasons.push(
      input.desiredRole === 'primary'
        ? 'resuming: redis-server started behind the placeholder and resumes as primary once its dataset is loaded'
        : 'no-primary: this node is a replica with no primary assigned yet; read-only until promoted or demoted',
    );
  } else if (view.link) {
    const { link } = view;
    if (!link.up) {
      reasons.push(
        `link-down: the link to the primary ${link.host ?? '?'}:${link.port ?? '?'} is ${link.status ?? 'unknown'}`,
      );
    }
    // master_sync_in_progress drops to 0 between attempts, hence the link check above too.
    if (link.syncInProgress) reasons.push('syncing: a full synchronisation with the primary is in progress');
    if (link.up && link.lastIoSecondsAgo !== null && link.lastIoSecondsAgo > input.maxLagSeconds) {
      reasons.push(
        `lagging: last I/O with the primary was ${link.lastIoSecondsAgo} s ago (limit ${input.maxLagSeconds} s)`,
      );
    }
  } else if (input.desiredRole === 'replica') {
    // A node meant to be a replica that runs as a primary has no primary assigned yet
    // (fresh node) or lost it: it must not take traffic until the operator decides.
    reasons.push('no-primary: this node is meant to be a replica but has no primary assigned');
  }
  return { ready: reasons.length === 0, reasons };
}

export async function checkReadiness(redis: RedisAdapter, context: ReadinessContext): Promise<Readiness> {
  const [ping, replication] = await Promise.all([
    redis.ping().then(
      (): PingOutcome => ({ ok: true }),
      (err: unknown): PingOutcome =>
        err instanceof RedisReplyError
          ? { ok: false, code: err.code, message: err.message }
          : { ok: false, code: 'UNREACHABLE', message: messageOf(err) },
    ),
    redis.info('replication').then(parseInfo, () => null),
  ]);
  return readinessRules({ ...context, ping, replication });
}
