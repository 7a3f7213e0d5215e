// Whatever a test started that is still running when the run ends, or is interrupted, is
// found by the temporary directories it works in: a redis-server works in its data
// directory (its command line is rewritten to "redis-server *:port", its cwd is not); a
// manager, its launcher or a rollback watchdog names one in its arguments. SIGKILL: this is
// the last resort, after the polite stops.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function killProcessesIn(dirs: readonly string[]): number {
  if (dirs.length === 0) return 0;
  const inside = (path: string) => dirs.some((dir) => path === dir || path.startsWith(dir + '/'));
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    let cwd = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (!inside(cwd) && !dirs.some((dir) => cmdline.includes(dir))) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}
