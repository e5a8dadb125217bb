import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

// Linux /proc readings of another process: CPU time (utime + stime) and resident memory.

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK, almost always 100). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User plus system CPU time the process has used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After ")" come field 3 (state) onwards, so utime (14) and stime (15) are at 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / clockTicks();
}

/** Resident set size (VmRSS) in bytes. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Samples the RSS of `pid` every `everyMs` while `work` runs; resolves with the work's result and
 * the RSS before and the highest seen during it (bytes).
 */
export async function peakRssDuring<T>(pid: number, work: () => Promise<T>, everyMs = 5): Promise<{ result: T; before: number; peak: number }> {
  const before = rssBytes(pid);
  let peak = before;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // The process went away; the caller sees the work fail.
    }
  }, everyMs);
  try {
    const result = await work();
    peak = Math.max(peak, rssBytes(pid));
    return { result, before, peak };
  } finally {
    clearInterval(timer);
  }
}

export const MB = 1024 * 1024;

/** CPU time (ms) of each of `pids` that still exists; a vanished process is left out. */
export function cpuMsOf(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, cpuMs(pid));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/**
 * CPU used between two readings by the processes of the second: all of it for one that started
 * in between. (One that ended in between is lost: callers read processes that live long.)
 */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}
