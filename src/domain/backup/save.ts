// Makes Redis save: BGSAVE SCHEDULE (or BGREWRITEAOF), then polls INFO until SaveTracker says
// the save is done or failed. Every wait is bounded: an overall deadline, a grace period for
// an unreachable Redis, and each INFO call is bounded by the adapter's own timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisReplyError, type RedisAdapter } from '../../redis/adapter.js';
import { parseInfo, type Info } from '../../redis/info.js';
import { BackupFailure, type BackupType } from './backup-record.js';
import { classifySaveReply, observe, SaveTracker } from './save-progress.js';
import { messageOf } from '../../errors.js';

export interface SaveOptions {
  pollMs: number;
  /** The whole save, from the command to Redis reporting it done. */
  timeoutMs: number;
  /** How long Redis may stay unreachable in the middle of a save before the backup fails. */
  unreachableGraceMs: number;
  signal: AbortSignal;
}

export interface SaveOutcome {
  /** INFO just before the save command: replication id/offset and role at the fork. */
  before: Info;
  /** INFO once the save was done: LASTSAVE of the file written. */
  after: Info;
}

const COMMAND: Record<BackupType, [string, ...string[]]> = {
  rdb: ['BGSAVE', 'SCHEDULE'],
  aof: ['BGREWRITEAOF'],
};

async function readInfo(redis: RedisAdapter): Promise<Info> {
  return parseInfo(await redis.info('default'));
}

/**
 * LASTSAVE has one-second resolution: a save finishing in the same second as the previous
 * one would not advance it. Start only once Redis's clock has passed the last save.
 */
async function waitPastLastSave(redis: RedisAdapter, lastSave: number, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const [seconds] = (await redis.command('TIME')) as [string, string];
    if (Number(seconds) > lastSave) return;
    await sleep(100, undefined, { signal });
  }
}

export async function runSave(redis: RedisAdapter, type: BackupType, options: SaveOptions): Promise<SaveOutcome> {
  let before: Info;
  try {
    before = await readInfo(redis);
    if (type === 'rdb') await waitPastLastSave(redis, observe(before).lastSave, options.signal);
  } catch (err) {
    if (options.signal.aborted) throw new BackupFailure('shutdown', 'the manager shut down before the save started');
    throw new BackupFailure('redis_unavailable', `could not read INFO before saving: ${messageOf(err)}`);
  }
  const [name, ...args] = COMMAND[type];
  let reply: string;
  try {
    reply = String(await redis.command(name, ...args));
  } catch (err) {
    if (!(err instanceof RedisReplyError))
      throw new BackupFailure('redis_unavailable', `${name} did not answer: ${messageOf(err)}`);
    reply = err.message;
  }
  const answer = classifySaveReply(reply);
  if ('refused' in answer)
    throw new BackupFailure('save_failed', `Redis refused ${[name, ...args].join(' ')}: ${answer.refused}`);

  const tracker = new SaveTracker(type, observe(before), answer.start);
  const deadline = Date.now() + options.timeoutMs;
  let unreachableSince: number | null = null;
  for (;;) {
    if (options.signal.aborted) throw new BackupFailure('shutdown', 'the manager shut down during the save');
    let after: Info | undefined;
    try {
      after = await readInfo(redis);
      unreachableSince = null;
    } catch (err) {
      // LOADING after a restart, or no answer at all: both mean "cannot tell yet".
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > options.unreachableGraceMs) {
        throw new BackupFailure('redis_unavailable', `Redis stopped answering during the save: ${messageOf(err)}`);
      }
    }
    if (after) {
      const verdict = tracker.next(observe(after));
      if (verdict.verdict === 'completed') return { before, after };
      if (verdict.verdict === 'failed') throw new BackupFailure(verdict.code, verdict.reason);
    }
    if (Date.now() > deadline) {
      throw new BackupFailure(
        'save_timeout',
        `Redis did not finish the save within ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => {});
  }
}
