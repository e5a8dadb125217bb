import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port nobody listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const READY_WITHIN_MS = 5 * 60_000;

export interface NodeProcess {
  /** The pid of the node process itself (started as `node --import tsx FILE`, no wrapper). */
  pid: number;
  url: string;
  child: ChildProcess;
  logFile: string;
  stop: () => Promise<void>;
}

/**
 * Starts `node [nodeArgs] --import tsx <script>` from the repository root with `env` added, its
 * output in `logFile`, and waits until GET `healthPath` answers 200: the server's `/readyz` (it
 * listens before it migrates, and is ready once migrated), the others' `/healthz`.
 */
export async function startNode(script: string, env: NodeJS.ProcessEnv, logFile: string, nodeArgs: string[] = [], healthPath = script === 'src/server.ts' ? '/readyz' : '/healthz'): Promise<NodeProcess> {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: REPO_DIR,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  let exited: number | null | undefined;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', (code) => {
    exited = code;
    resolve();
  }));
  const stop = async () => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exitedPromise;
    clearTimeout(timer);
  };
  // Generous: a busy machine (a test run beside other work) starts a node process slowly.
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (exited !== undefined) throw new Error(`${script} exited (${exited}) before it was ready; see ${logFile}:\n${tail(logFile)}`);
    try {
      const res = await fetch(`${url}${healthPath}`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${script} was not ready within ${READY_WITHIN_MS / 1000} s; see ${logFile}:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: child.pid!, url, child, logFile, stop };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

export class TimedOut extends Error {}

/**
 * Runs `node --import tsx <script> ...args` to completion; resolves with stdout, rejects on a
 * non-zero exit, or with TimedOut when it had to be killed after `timeoutMs`.
 */
export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else if (timedOut) reject(new TimedOut(`${script} ${args[0] ?? ''} was stopped after ${timeoutMs / 1000} s`));
      else reject(new Error(`${script} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
