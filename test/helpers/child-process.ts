import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { PATIENCE_MS, waitUntil } from './wait.ts';

// Every process a test starts ends with the test, whatever happens to it: the helpers here bound
// every wait, stop the child in `finally`, and — should a test be abandoned mid-way (a test
// timeout does not unwind it) — neither the child nor its pipes keep the test process alive, and
// the process kills what is left when it exits.

const living = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of living) child.kill('SIGKILL');
});

/** How long a stopped child gets to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 60_000;

export interface Child {
  pid: number;
  /** stdout and stderr so far, interleaved as they came. */
  output: () => string;
  /** The exit, once it happened: the code, or the signal that ended it. */
  exit: () => { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Polls the output until `pattern` matches; fails if the child exits first or after `timeoutMs`. */
  waitForOutput: (pattern: RegExp, what: string, timeoutMs?: number) => Promise<RegExpMatchArray>;
  /** Waits for the child to exit by itself; fails after `timeoutMs`. */
  waitForExit: (timeoutMs?: number) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves once it has exited. */
  stop: (graceMs?: number) => Promise<void>;
}

export function spawnChild(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  living.add(child);
  let output = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    (stream as Readable & { unref?: () => void }).unref?.();
  }
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    living.delete(child);
  });
  child.unref();
  const waitForExit = async (timeoutMs = PATIENCE_MS) => {
    await waitUntil(() => exit !== undefined, `${command} ${args.join(' ')} to exit`, timeoutMs);
    return exit!;
  };
  return {
    pid: child.pid!,
    output: () => output,
    exit: () => exit,
    async waitForOutput(pattern, what, timeoutMs = PATIENCE_MS) {
      let match: RegExpMatchArray | null = null;
      await waitUntil(() => {
        match = pattern.exec(output);
        if (!match && exit) throw new Error(`exited (${exit.code ?? exit.signal}) before ${what}:\n${output.slice(-4000)}`);
        return match !== null;
      }, `${what}; output so far:\n${output.slice(-4000)}`, timeoutMs);
      return match!;
    },
    waitForExit,
    async stop(graceMs = STOP_GRACE_MS) {
      if (exit) return;
      child.kill('SIGTERM');
      try {
        await waitForExit(graceMs);
      } catch {
        child.kill('SIGKILL');
        await waitForExit();
      }
    },
  };
}

/** `node --import tsx <args>` from the repository root, e.g. the server: spawnNode(['src/server.ts'], env). */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv): Child {
  return spawnChild(process.execPath, ['--import', 'tsx', ...args], { env });
}

/** Starts `src/server.ts` on a free port; resolves with its URL once it logs that it listens. */
export async function spawnServer(env: NodeJS.ProcessEnv): Promise<{ child: Child; url: string }> {
  const child = spawnNode(['src/server.ts'], { ...env, PORT: '0', HOST: '127.0.0.1' });
  try {
    const [, url] = await child.waitForOutput(/"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/, 'the server to listen');
    return { child, url };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

const execFileAsync = promisify(execFile);

/** Runs a program to its end, killed if it takes longer than `timeoutMs`; rejects on a non-zero exit. */
export function runFile(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(file, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? PATIENCE_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 });
}
