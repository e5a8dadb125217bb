import fs from 'node:fs';
import type { Logger } from 'pino';

/** A log file past this size is moved to `<file>.1` (replacing the one there) at the next start. */
const ROTATE_BYTES = 10 * 1024 * 1024;
const POLL_MS = 1_000;

/** `log_line_prefix` of the embedded server: time and process id, then PostgreSQL's `SEVERITY:  text`. */
export const LOG_LINE_PREFIX = '%m [%p] ';
const SEVERITY_LINE = /^\S+ \S+ \S+ \[(\d+)\] (ERROR|FATAL|PANIC):\s+(.*)$/;

export interface PostgresLog {
  /** The file descriptor to give the server as its stdout and stderr. */
  fd: number;
  /** Reads what is left, stops following and closes the file. */
  close: () => void;
  /** The last lines of the file, for an error message when the server would not start. */
  tail: (lines: number) => string;
}

/**
 * The server's own log: its stderr goes straight into the file (so it keeps logging there even
 * when this process is gone), and the file is followed so that its ERROR lines reach our log as
 * warnings and its FATAL and PANIC lines as errors.
 */
export function openPostgresLog(file: string, log: Logger): PostgresLog {
  try {
    if (fs.statSync(file).size > ROTATE_BYTES) fs.renameSync(file, `${file}.1`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const fd = fs.openSync(file, 'a+', 0o600);
  let offset = fs.fstatSync(fd).size;
  let partial = '';
  const follow = () => {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return;
    const chunk = Buffer.alloc(size - offset);
    const read = fs.readSync(fd, chunk, 0, chunk.length, offset);
    offset += read;
    const lines = (partial + chunk.subarray(0, read).toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const match = SEVERITY_LINE.exec(line);
      if (!match) continue;
      const [, pid, severity, message] = match;
      const entry = { postgres: { severity, pid: Number(pid) } };
      if (severity === 'ERROR') log.warn(entry, message);
      else log.error(entry, message);
    }
  };
  const timer = setInterval(follow, POLL_MS);
  timer.unref();
  let closed = false;
  return {
    fd,
    close: () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      follow();
      fs.closeSync(fd);
    },
    tail: (count) => {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, 16 * 1024);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      return buffer.toString('utf8').split('\n').slice(-count - 1).join('\n').trim();
    },
  };
}
