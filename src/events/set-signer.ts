import { SignJWT } from 'jose';
import type { SigningKey } from '../auth/signing-key.ts';
import type { ChangeEntry, Receiver } from '../model/receiver.ts';
import { changeEvent } from './set-builder.ts';

/** RFC 8417 §2.3: the media type of a SET, and its `typ` header without the application/ prefix. */
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

/**
 * The jti of the SET for one change and one receiver: the same on every retry (RFC 8935 §2.2,
 * at-least-once: a receiver drops a jti it has seen), different per receiver.
 */
export function jtiOf(entryId: string, receiverId: string): string {
  return `${entryId}.${receiverId}`;
}

/** The change log entry a jti names, when it is one of this receiver's. */
export function entryOfJti(jti: string, receiverId: string): string | undefined {
  const match = /^(\d{1,19})\.([0-9a-f-]{36})$/.exec(jti);
  return match && match[2] === receiverId ? match[1] : undefined;
}

export interface SignedSet {
  entryId: string;
  jti: string;
  token: string;
}

/** Signs the SET of one change for one receiver (ES256, typ secevent+jwt, kid), or undefined when it wants none of it. */
export async function signChange(key: SigningKey, issuer: string, receiver: Receiver, entry: ChangeEntry, now: Date): Promise<SignedSet | undefined> {
  const event = changeEvent(entry, receiver);
  if (!event) return undefined;
  const jti = jtiOf(entry.id, receiver.id);
  // RFC 8417 §2.2: no `sub` (RFC 9967 §2.1 uses sub_id), and `toe` the time of the change.
  const token = await new SignJWT({ ...event, toe: Math.floor(entry.at.getTime() / 1000) })
    .setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: key.kid })
    .setIssuer(issuer)
    .setAudience(receiver.audience)
    .setJti(jti)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(key.privateKey);
  return { entryId: entry.id, jti, token };
}
