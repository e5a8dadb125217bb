import type http from 'node:http';
import type { Logger } from 'pino';

/** The requests an http.Server is working on, so shutdown can answer them all before it ends. */
export interface RequestTracker {
  /** The server's request listener: runs `handle` and keeps count of it until it settles. */
  listener: http.RequestListener;
  /** From now on every response not yet begun says `Connection: close`, the running ones too. */
  closeConnectionsAfterResponses: () => void;
  /** Resolves once no request is being handled. */
  drained: () => Promise<void>;
  /** The responses of the requests being handled right now. */
  running: () => http.ServerResponse[];
}

export function trackRequests(handle: (req: http.IncomingMessage, res: http.ServerResponse) => unknown): RequestTracker {
  const running = new Set<http.ServerResponse>();
  let closing = false;
  let waiters: (() => void)[] = [];
  const closeAfter = (res: http.ServerResponse) => {
    // RFC 9112 §9.6: the client learns the connection ends with this response, so it does not
    // send another request on it that would find the socket gone.
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  const settled = (res: http.ServerResponse) => {
    running.delete(res);
    if (running.size > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };
  return {
    listener: (req, res) => {
      running.add(res);
      if (closing) closeAfter(res);
      // Done when the handler has settled and the response is closed: a streamed body is still
      // being read from the database after the handler returns.
      let pending = 2;
      const done = () => {
        if (--pending === 0) settled(res);
      };
      res.once('close', done);
      Promise.resolve(handle(req, res)).then(done, done);
    },
    closeConnectionsAfterResponses: () => {
      closing = true;
      for (const res of running) closeAfter(res);
    },
    drained: () => (running.size === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    running: () => [...running],
  };
}

/** Resolves after `turns` turns of the event loop, each with a poll for I/O. */
async function loopTurns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

// Node listens with a backlog of 511, so no more connections than that wait to be accepted.
const MAX_ACCEPT_TURNS = 1024;

/**
 * Turns the event loop until the kernel's accept queue is empty: libuv accepts one connection
 * per turn (since 1.45), so a whole turn that accepts none found the queue empty. The first turn
 * only finishes the one the caller is in, which may have polled already. Two more turns read the
 * requests the last connections carry.
 */
async function acceptWhatIsQueued(server: http.Server): Promise<void> {
  let accepted = 0;
  const count = () => accepted++;
  server.on('connection', count);
  try {
    await loopTurns(1);
    for (let turn = 0; turn < MAX_ACCEPT_TURNS; turn++) {
      const before = accepted;
      await loopTurns(1);
      if (accepted === before) break;
    }
    await loopTurns(2);
  } finally {
    server.off('connection', count);
  }
}

/**
 * Graceful shutdown of an http.Server: every request whose bytes reached this host before the
 * call is answered (with `Connection: close`), only connections made afterwards are refused.
 *
 * http.Server#close stops listening and at once destroys every connection that is not inside a
 * request. A connection still waiting in the kernel's accept queue is reset with the listener,
 * and one whose request bytes sit unread in its socket buffer counts as idle and is destroyed.
 * So the listener stays open until the queue is empty and what has arrived is read; by then each
 * such request is being handled and its connection is no longer idle.
 *
 * Resolves when every connection is closed and every request handler has settled — handlers may
 * still be at work after their client went away, and the caller closes the database next — or
 * when `graceMs` has passed, after which the remaining connections are cut.
 */
export async function closeGracefully(server: http.Server, requests: RequestTracker, graceMs: number, log: Logger): Promise<void> {
  requests.closeConnectionsAfterResponses();
  await acceptWhatIsQueued(server);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A response that had begun with keep-alive before leaves its connection idle when it ends.
  const begun = requests.running().filter((res) => res.headersSent);
  for (const res of begun) res.once('finish', () => server.closeIdleConnections());
  log.info({ requests: requests.running().length }, 'no longer accepting connections');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), graceMs)));
  const outcome = await Promise.race([Promise.all([closed, requests.drained()]), graceOver]);
  clearTimeout(timer);
  if (outcome === 'grace over') {
    log.warn({ requests: requests.running().length, graceMs }, 'shutdown grace period over; closing the remaining connections');
    server.closeAllConnections();
  }
}
