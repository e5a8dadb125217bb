import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export class DirectoryInUseError extends Error {}

export interface DirectoryLock {
  release: () => Promise<void>;
}

/**
 * Claims a directory for this process until release() or until the process ends, however it ends
 * (SIGKILL included): the claim is a listening Unix socket, which the kernel closes with the
 * process, so no lock file is ever left for someone to delete by hand. On Linux the socket lives in
 * the abstract namespace (nothing on disk); elsewhere it is a socket file in the temp directory,
 * taken over when no process answers on it.
 */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  const key = crypto.createHash('sha256').update(fs.realpathSync(dir)).digest('hex').slice(0, 32);
  const address = process.platform === 'linux' ? `\0identity-manager-${key}` : path.join(os.tmpdir(), `identity-manager-${key}.lock`);
  const server = net.createServer((socket) => socket.destroy());
  try {
    await listen(server, address);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (address.startsWith('\0') || (await answers(address))) throw new DirectoryInUseError(`${dir} is in use by another running process`);
    fs.rmSync(address, { force: true });
    await listen(server, address);
  }
  server.unref();
  let released: Promise<void> | undefined;
  return { release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))) };
}

function listen(server: net.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function answers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
