import http from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ReferenceReceiver } from '../../examples/reference-receiver/receiver.ts';
import { publicJwks } from '../../src/auth/jwks.ts';
import type { TestApp } from './test-app.ts';

/** What a local push receiver does with the next request. */
export type Answer = 'accept' | 'unavailable' | { status: number; body?: Record<string, unknown> };

/**
 * A local RFC 8935 receiver for tests: the reference receiver (which verifies each SET against the
 * app's JWKS and keeps a replica) behind a switch that can make it answer otherwise, and a record
 * of every request with the most that were in flight at once.
 */
export interface LocalReceiver {
  url: string;
  reference: ReferenceReceiver;
  /** Every SET POSTed, decoded, in arrival order (repeats included). */
  posts: { header: Record<string, unknown>; claims: Record<string, any> }[];
  answer: (token: Record<string, any>) => Answer;
  maxInFlight: number;
  /** Milliseconds each request is held before it is answered (to let overlap show). */
  holdMs: number;
  /** Stops listening (connections refused) or starts again on the same port. */
  down: () => Promise<void>;
  up: () => Promise<void>;
  close: () => Promise<void>;
}

export async function startLocalReceiver(t: TestApp, audience: string): Promise<LocalReceiver> {
  const reference = new ReferenceReceiver({ jwks: await publicJwks(t.key) as never, issuer: t.config.issuer, audience });
  const handle = reference.handler();
  let inFlight = 0;
  const local: LocalReceiver = {
    url: '',
    reference,
    posts: [],
    answer: () => 'accept',
    maxInFlight: 0,
    holdMs: 0,
    down: async () => {},
    up: async () => {},
    close: async () => {},
  };
  const listener: http.RequestListener = (req, res) => {
    inFlight++;
    local.maxInFlight = Math.max(local.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = Buffer.concat(chunks).toString('utf8');
      const claims = decodeJwt(token) as Record<string, any>;
      local.posts.push({ header: decodeProtectedHeader(token) as Record<string, unknown>, claims });
      const answer = local.answer(claims);
      setTimeout(() => {
        if (answer === 'accept') {
          // Hand the reference receiver the body it would have read itself.
          const replay = Object.assign(new PassThrough(), { method: req.method, headers: req.headers });
          handle(replay as unknown as http.IncomingMessage, res);
          replay.end(token);
        } else if (answer === 'unavailable') {
          res.writeHead(503).end();
        } else {
          res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body ?? {}));
        }
      }, local.holdMs);
    });
  };
  let server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  local.url = `http://127.0.0.1:${port}/events`;
  local.down = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  local.up = async () => {
    server = http.createServer(listener);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  };
  local.close = () => new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return local;
}
