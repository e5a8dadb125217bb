import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** `npm start` as a child process (src/server.ts through tsx), with its output collected. */
export interface ServerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves with the URL the server listens on once it logs "listening"; rejects if it exits first. */
  listening: Promise<string>;
}

const START_BOUND_MS = 3 * 60_000;

export function spawnServer(env: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = (async () => {
    for (const deadline = Date.now() + START_BOUND_MS; Date.now() < deadline; await sleep(100)) {
      const line = output.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) return JSON.parse(line).url as string;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited before listening:\n${output}`);
    }
    throw new Error(`the server was not listening after ${START_BOUND_MS / 60_000} minutes:\n${output}`);
  })();
  listening.catch(() => undefined);
  return { child, output: () => output, exited, listening };
}

/** The exit code once the process has ended; fails the test rather than waiting for ever. */
export async function exitCode(server: ServerProcess): Promise<number | null> {
  const timer = new AbortController();
  const bound = sleep(START_BOUND_MS, undefined, { signal: timer.signal }).then(() => {
    throw new Error(`the server did not exit within ${START_BOUND_MS / 60_000} minutes:\n${server.output()}`);
  });
  try {
    return await Promise.race([server.exited, bound]);
  } finally {
    timer.abort();
  }
}

/** Ends a server process whatever state it is in (for `finally`). */
export async function killServer(server: ServerProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGKILL');
  await server.exited;
}
