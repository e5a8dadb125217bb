import crypto from 'node:crypto';
import { ScimError } from './scim-error.ts';

/**
 * RFC 9865 cursors: opaque to the client, carrying the last row's sort value and id, a hash of the
 * query they belong to, and when they were issued. Nothing is kept on the server, so any process
 * behind a load balancer can continue a listing another one started.
 */
/** Where a page ended: the last row's sort value (as text at full precision, or null) and id. */
export interface KeysetPosition {
  value: string | number | boolean | null;
  id: string;
}

interface CursorBody {
  v: unknown;
  i: string;
  q: string;
  t: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function queryFingerprint(parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(position: KeysetPosition, fingerprint: string, now: Date): string {
  const body: CursorBody = { v: position.value, i: position.id, q: fingerprint, t: Math.floor(now.getTime() / 1000) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(text: string, fingerprint: string, now: Date, timeoutSeconds: number): KeysetPosition {
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new ScimError(400, 'the cursor is not one this server issued', 'invalidCursor');
  }
  // The cursor is readable (and forgeable) by its holder: what it carries into SQL is checked here.
  const scalar = body?.v === null || ['string', 'number', 'boolean'].includes(typeof body?.v);
  if (typeof body !== 'object' || body === null || !UUID.test(String(body.i)) || !scalar || typeof body.q !== 'string' || !Number.isFinite(body.t)) {
    throw new ScimError(400, 'the cursor is not one this server issued', 'invalidCursor');
  }
  if (body.q !== fingerprint) {
    throw new ScimError(400, 'the cursor belongs to a listing with another filter or sort order', 'invalidCursor');
  }
  if (now.getTime() / 1000 - body.t > timeoutSeconds) {
    throw new ScimError(400, `the cursor has expired (cursors are valid for ${timeoutSeconds} seconds); start again from the first page`, 'expiredCursor');
  }
  return { value: body.v as KeysetPosition['value'], id: body.i };
}
