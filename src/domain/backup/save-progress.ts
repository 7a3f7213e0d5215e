// Whether a background save (BGSAVE) or AOF rewrite (BGREWRITEAOF) has finished, judged from
// INFO alone. Pure: save.ts does the I/O and feeds observations in.
//
// Redis says little: LASTSAVE (rdb_last_save_time) advances only when an RDB save succeeds,
// rdb_last_bgsave_status / aof_last_bgrewrite_status describe the LAST finished child (which
// may be an older failure), and a restarted Redis starts with LASTSAVE = its start time and
// status ok. So a save is done when LASTSAVE advanced past the baseline with status ok; it
// failed only once a child of ours was seen and is gone with status err; and a changed run_id
// means the Redis that was saving is gone, whatever the other fields say.
import { field, numberField, type Info } from '../../redis/info.js';
import type { BackupType } from './backup-record.js';

export interface SaveObservation {
  runId: string;
  lastSave: number;
  rdbInProgress: boolean;
  rdbStatusOk: boolean;
  aofInProgress: boolean;
  aofScheduled: boolean;
  aofStatusOk: boolean;
  /** INFO stats total_forks (Redis 6.2+); undefined on older servers. */
  forks: number | undefined;
}

export function observe(info: Info): SaveObservation {
  return {
    runId: field(info, 'run_id') ?? '',
    lastSave: numberField(info, 'rdb_last_save_time') ?? 0,
    rdbInProgress: field(info, 'rdb_bgsave_in_progress') === '1',
    rdbStatusOk: field(info, 'rdb_last_bgsave_status') !== 'err',
    aofInProgress: field(info, 'aof_rewrite_in_progress') === '1',
    aofScheduled: field(info, 'aof_rewrite_scheduled') === '1',
    aofStatusOk: field(info, 'aof_last_bgrewrite_status') !== 'err',
    forks: numberField(info, 'total_forks'),
  };
}

/** How Redis answered BGSAVE SCHEDULE / BGREWRITEAOF. */
export type SaveStart = 'started' | 'already-running' | 'scheduled';

export type SaveReply = { start: SaveStart } | { refused: string };

/** Reads the reply (or error reply) of the save command. */
export function classifySaveReply(reply: string): SaveReply {
  if (/scheduled/i.test(reply)) return { start: 'scheduled' };
  if (/already in progress/i.test(reply)) return { start: 'already-running' };
  if (/started/i.test(reply)) return { start: 'started' };
  return { refused: reply };
}

export type SaveVerdict =
  | { verdict: 'waiting' }
  | { verdict: 'completed' }
  | { verdict: 'failed'; code: 'save_failed' | 'redis_restarted'; reason: string };

const WAITING: SaveVerdict = { verdict: 'waiting' };

/** Follows one save from its baseline (INFO read before the command) to its end. */
export class SaveTracker {
  /** Whether the child that will produce our save has been seen (or must exist). */
  private childSeen: boolean;

  constructor(
    readonly type: BackupType,
    private readonly baseline: SaveObservation,
    start: SaveStart,
  ) {
    // "started" and "already running" both mean a child existed when Redis answered.
    this.childSeen = start !== 'scheduled';
  }

  next(now: SaveObservation): SaveVerdict {
    if (now.runId !== this.baseline.runId) {
      return {
        verdict: 'failed',
        code: 'redis_restarted',
        reason: 'redis-server restarted during the save (its run_id changed); the save it was making is lost',
      };
    }
    return this.type === 'rdb' ? this.rdb(now) : this.aof(now);
  }

  private forked(now: SaveObservation): boolean {
    return now.forks !== undefined && this.baseline.forks !== undefined && now.forks > this.baseline.forks;
  }

  private rdb(now: SaveObservation): SaveVerdict {
    if (now.lastSave > this.baseline.lastSave && now.rdbStatusOk) return { verdict: 'completed' };
    // Behind an AOF rewrite, our BGSAVE starts only once that child is gone.
    if (!this.childSeen && (now.rdbInProgress || (!now.aofInProgress && this.forked(now)))) this.childSeen = true;
    if (this.childSeen && !now.rdbInProgress && !now.rdbStatusOk) {
      return {
        verdict: 'failed',
        code: 'save_failed',
        reason:
          'the background save failed (rdb_last_bgsave_status:err); redis-server logged the cause. ' +
          'With stop-writes-on-bgsave-error yes a primary refuses writes until a save succeeds',
      };
    }
    return WAITING;
  }

  private aof(now: SaveObservation): SaveVerdict {
    if (!this.childSeen && (now.aofInProgress || (!now.rdbInProgress && this.forked(now)))) this.childSeen = true;
    if (!this.childSeen || now.aofInProgress || now.aofScheduled) return WAITING;
    if (now.aofStatusOk) return { verdict: 'completed' };
    return {
      verdict: 'failed',
      code: 'save_failed',
      reason: 'the AOF rewrite failed (aof_last_bgrewrite_status:err); redis-server logged the cause',
    };
  }
}
