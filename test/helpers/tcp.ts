import fs from 'node:fs';
import net from 'node:net';

// Raw HTTP/1.1 over TCP on 127.0.0.1, for tests that must know where each byte is: sent, arrived
// in the server's socket buffer, or read by the server. Linux shows the queues of every TCP
// connection in /proc/net/tcp, which lets a test see that without a hook in the server.

export const procNetTcpAvailable = fs.existsSync('/proc/net/tcp');

interface TcpRow {
  localPort: number;
  remotePort: number;
  /** Sent and not yet acknowledged by the other end. */
  unacknowledged: number;
  /** Arrived and not yet read by the process. */
  unread: number;
}

/** The established TCP connections on 127.0.0.1 (a connection still in an accept queue is one). */
function tcpRows(): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // 01 = ESTABLISHED
    if (fields.length < 5 || fields[3] !== '01') continue;
    const [tx, rx] = fields[4].split(':').map((n) => parseInt(n, 16));
    rows.push({ localPort: parseInt(fields[1].split(':')[1], 16), remotePort: parseInt(fields[2].split(':')[1], 16), unacknowledged: tx, unread: rx });
  }
  return rows;
}

/** Bytes not yet read by the server on each of its connections, by the client's port. */
export function unreadByServer(serverPort: number): Map<number, number> {
  return new Map(tcpRows().filter((r) => r.localPort === serverPort).map((r) => [r.remotePort, r.unread]));
}

/** Bytes our side of each connection to the server has sent that the server's host has not yet acknowledged. */
export function unacknowledgedToServer(serverPort: number): Map<number, number> {
  return new Map(tcpRows().filter((r) => r.remotePort === serverPort).map((r) => [r.localPort, r.unacknowledged]));
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A connection to the server, read answer by answer. */
export interface Connection {
  socket: net.Socket;
  localPort: number;
  /** The next complete answer; rejects on a reset, or when the connection ends before one. */
  next: () => Promise<Answer>;
  /** The server has closed the connection. */
  ended: () => boolean;
}

export async function connect(port: number): Promise<Connection> {
  const socket = net.connect(port, '127.0.0.1');
  let buffer: Buffer = Buffer.alloc(0);
  let ended = false;
  let failure: Error | undefined;
  let waiting: (() => void)[] = [];
  const wake = () => {
    for (const resume of waiting) resume();
    waiting = [];
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake();
  });
  socket.on('error', (err) => {
    failure = err;
    wake();
  });
  socket.on('close', () => {
    ended = true;
    wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    localPort: socket.localPort!,
    ended: () => ended,
    async next() {
      for (;;) {
        const taken = takeAnswer(buffer);
        if (taken) {
          buffer = taken.rest;
          return taken.answer;
        }
        if (failure) throw failure;
        if (ended) throw new Error(`the connection ended before a complete answer: ${JSON.stringify(buffer.toString())}`);
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
  };
}

/** One answer from the front of `buffer`, when it is all there (its length given by Content-Length). */
function takeAnswer(buffer: Buffer): { answer: Answer; rest: Buffer } | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buffer.length < end + 4 + length) return undefined;
  const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
  return { answer: { status: Number(statusLine.split(' ')[1]), headers, body }, rest: buffer.subarray(end + 4 + length) };
}

/** Resolves when a new connection to the port is refused; rejects if one is accepted. */
export function expectRefused(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error(`a new connection to port ${port} was accepted`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve() : reject(err)));
  });
}

/** The bytes of a request with a JSON body (ASCII), split where the caller wants. */
export function jsonRequest(method: string, path: string, port: number, token: string | undefined, body?: unknown): string {
  const text = body === undefined ? '' : JSON.stringify(body);
  return [
    `${method} ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    ...(token ? [`Authorization: Bearer ${token}`] : []),
    ...(body === undefined ? [] : ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`]),
    '',
    text,
  ].join('\r\n');
}
