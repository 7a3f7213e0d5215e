// CPU time a process has used (user + system), from /proc/<pid>/stat. On a shared machine
// the server's CPU per request is a steadier figure than wall-clock throughput: when the
// server is the bottleneck, its throughput on a quiet machine is about 1 / (CPU per request).
import { readFile } from 'node:fs/promises';
import { processTree } from '../lib.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds of a process and its children (a manager runs under its launcher: see processTree). */
export async function cpuSeconds(pid: number): Promise<number> {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += (Number(fields[11]) || 0) + (Number(fields[12]) || 0);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Runs `work` and returns its result with the CPU seconds `pid` used meanwhile. */
export async function withCpu<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; cpu: number }> {
  const before = await cpuSeconds(pid);
  const result = await work();
  return { result, cpu: (await cpuSeconds(pid)) - before };
}
