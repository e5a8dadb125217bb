import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/** The first lines of `postmaster.pid`, which PostgreSQL keeps in the data directory while it runs. */
export interface PidFile {
  pid: number;
  socketDir: string;
}

export function readPidFile(pgdata: string): PidFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Line 1: pid, 2: data directory, 3: start time, 4: port, 5: first socket directory, 6: listen address.
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  return Number.isInteger(pid) && pid > 0 ? { pid, socketDir: lines[4] ?? '' } : undefined;
}

/** Gone when no process has the pid or it has exited and waits to be reaped (a zombie answers signal 0 too). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/** Whether process `pid` is a PostgreSQL server on data directory `pgdata`, from its command line. */
export function isPostmasterOf(pid: number, pgdata: string): boolean | 'unknown' {
  let args: string[];
  try {
    args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    try {
      args = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    } catch {
      return 'unknown';
    }
  }
  if (!args.length) return 'unknown';
  const dataDirArg = args.indexOf('-D');
  if (path.basename(args[0]) !== 'postgres' || dataDirArg < 0) return false;
  return samePath(args[dataDirArg + 1] ?? '', pgdata);
}

function samePath(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** Sends `signal` and waits until the process is gone; false when it is still there after `ms`. */
export async function signalAndWait(pid: number, signal: NodeJS.Signals, ms: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) {
    if (!isRunning(pid)) return true;
  }
  return !isRunning(pid);
}

/**
 * Deals with a server that an earlier start left on `pgdata` (the app was killed, and the database
 * outlived it). The caller holds the data directory's lock, so no live app uses that server: it is
 * stopped (fast shutdown, then immediate) so this start runs its own. A pid file is removed only
 * when its pid has been taken by a process that is not a PostgreSQL server on this directory;
 * PostgreSQL itself replaces one whose process is gone.
 */
export async function stopLeftoverServer(pgdata: string, log: Logger): Promise<PidFile | undefined> {
  const pidFile = readPidFile(pgdata);
  if (!pidFile || !isRunning(pidFile.pid)) return undefined;
  const postmaster = isPostmasterOf(pidFile.pid, pgdata);
  if (postmaster === 'unknown') return undefined;
  if (!postmaster) {
    log.warn({ postgresPid: pidFile.pid }, 'removing a stale postmaster.pid whose process id now belongs to another program');
    fs.rmSync(path.join(pgdata, 'postmaster.pid'), { force: true });
    return undefined;
  }
  log.warn({ postgresPid: pidFile.pid }, 'stopping the embedded PostgreSQL server left running by an earlier start');
  if ((await signalAndWait(pidFile.pid, 'SIGINT', 120_000)) || (await signalAndWait(pidFile.pid, 'SIGQUIT', 60_000))) return pidFile;
  throw new Error(`the PostgreSQL server (pid ${pidFile.pid}) left running on ${pgdata} does not stop; stop it and start again`);
}
