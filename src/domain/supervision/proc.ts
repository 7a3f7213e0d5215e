// Reading the process table. Node cannot waitpid() a process it did not spawn (an adopted
// redis-server, or any child after an in-place exec), and kill(pid, 0) succeeds on a zombie,
// so liveness is read from /proc/<pid>/stat.
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';

/**
 * The pidfile redis-server writes in the data directory. Here, beside the process-table reads,
 * not in the supervisor: the early liveness probe needs the name before the supervisor (and
 * the Redis client under it, tens of milliseconds of module loading) is loaded.
 */
export const PID_FILE_NAME = 'redis.pid';

export type ProcessState = 'running' | 'zombie' | 'gone';

/** Parses the state letter out of /proc/<pid>/stat text ("1234 (redis-server) S …"). */
export function stateFromStat(stat: string): ProcessState {
  // comm may contain spaces and parentheses: the state follows the last ") ".
  const close = stat.lastIndexOf(') ');
  const letter = close >= 0 ? stat.charAt(close + 2) : '';
  if (letter === '') return 'gone';
  if (letter === 'Z' || letter === 'X' || letter === 'x') return 'zombie';
  return 'running';
}

function processState(pid: number): ProcessState {
  try {
    return stateFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 'gone';
  }
}

export function isAlive(pid: number): boolean {
  return processState(pid) === 'running';
}

/**
 * True when pid is a live redis-server working in dataDir: a pidfile can outlive its
 * process and the PID be reused, so the name and working directory are both checked.
 */
export function isRedisServerIn(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (!comm.startsWith('redis-server') && !comm.startsWith('valkey-server')) return false;
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dataDir);
  } catch {
    return false;
  }
}

/**
 * When the process started, in clock ticks since boot (/proc/<pid>/stat field 22). An exec
 * keeps it (same process); a new process, even one that got the same PID, has another.
 */
export function processStartTicks(pid: number = process.pid): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after comm start at "state" (field 3); starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const ticks = Number(fields[22 - 3]);
    return Number.isSafeInteger(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** The PID in `pidFile`, when it is a live redis-server working in `dataDir`; else null. */
export function runningRedisPid(pidFile: string, dataDir: string): number | null {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return isRedisServerIn(pid, dataDir) ? pid : null;
}
