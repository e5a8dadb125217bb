import type { SigningKey } from '../auth/signing-key.ts';
import { invalid, Refusal } from '../model/outcomes.ts';
import type { Repositories } from '../store/repositories.ts';
import { entryOfJti, signChange } from './set-signer.ts';

/** RFC 8936 §2.2: what a poll request may say. */
export interface PollRequest {
  ack: string[];
  setErrs: Record<string, { err: string; description?: string }>;
  maxEvents: number;
  returnImmediately: boolean;
}

export const MAX_EVENTS = 1000;
const DEFAULT_MAX_EVENTS = 100;

export function parsePollRequest(body: unknown): PollRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object (RFC 8936 §2.2)', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  const ack = input.ack ?? [];
  if (!Array.isArray(ack) || ack.length > 10_000 || !ack.every((j) => typeof j === 'string')) throw invalid('ack must be a list of at most 10,000 jti strings', 'invalidValue');
  const setErrs = input.setErrs ?? {};
  if (typeof setErrs !== 'object' || setErrs === null || Array.isArray(setErrs) || Object.keys(setErrs).length > 10_000) {
    throw invalid('setErrs must be an object of jti → {"err", "description"}', 'invalidValue');
  }
  for (const value of Object.values(setErrs)) {
    if (typeof value !== 'object' || value === null || typeof (value as { err?: unknown }).err !== 'string') throw invalid('each setErrs entry needs an "err" string', 'invalidValue');
  }
  const maxEvents = input.maxEvents ?? DEFAULT_MAX_EVENTS;
  if (typeof maxEvents !== 'number' || !Number.isInteger(maxEvents) || maxEvents < 0 || maxEvents > MAX_EVENTS) {
    throw invalid(`maxEvents must be a whole number from 0 to ${MAX_EVENTS}`, 'invalidValue');
  }
  const returnImmediately = input.returnImmediately ?? false;
  if (typeof returnImmediately !== 'boolean') throw invalid('returnImmediately must be true or false', 'invalidValue');
  return { ack: ack as string[], setErrs: setErrs as PollRequest['setErrs'], maxEvents, returnImmediately };
}

export interface PollSettings {
  key: SigningKey;
  issuer: string;
  now: () => Date;
  /** The longest a poll waits for events when the receiver did not ask to return at once. */
  waitMs: number;
  /** How often a waiting poll looks again. */
  checkMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * RFC 8936 §2.4: one poll of a receiver's stream. Acknowledged SETs (and those reported in
 * setErrs, which are recorded with the receiver's error and count as acknowledged) are never
 * sent again; the others are sent again until acknowledged. Without returnImmediately the poll
 * waits, up to `waitMs`, for at least one SET.
 */
export async function pollEvents(repos: Repositories, receiverId: string, req: PollRequest, settings: PollSettings): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
  const store = repos.operator.events;
  const receiver = await store.find(receiverId);
  if (!receiver) throw new Refusal('receiver', 'the receiver this token names is no longer registered');
  if (receiver.endpointUrl) throw new Refusal('receiver', 'this receiver is registered for push delivery; its events are not polled');
  if (!receiver.enabled) throw new Refusal('receiver', 'this receiver is paused; an operator enables it with idm receivers update');

  const done: string[] = [];
  for (const jti of req.ack) {
    const id = entryOfJti(jti, receiverId);
    if (id) done.push(id);
  }
  const at = settings.now();
  await repos.transaction(async (tx) => {
    for (const [jti, error] of Object.entries(req.setErrs)) {
      const id = entryOfJti(jti, receiverId);
      if (!id) continue;
      await tx.operator.events.park(receiverId, id, jti, `${error.err}${error.description ? `: ${String(error.description).slice(0, 500)}` : ''}`, at);
      done.push(id);
    }
    if (done.length) await tx.operator.events.acknowledge(receiverId, done, at);
  });
  if (req.maxEvents === 0) return { sets: {}, moreAvailable: false };

  const sleep = settings.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = settings.now().getTime() + (req.returnImmediately ? 0 : settings.waitMs);
  for (;;) {
    const entries = await store.unacknowledged(receiverId, receiver.orgIds, req.maxEvents + 1);
    const sets: Record<string, string> = {};
    const unwanted: string[] = [];
    let count = 0;
    for (const entry of entries.slice(0, req.maxEvents)) {
      const set = await signChange(settings.key, settings.issuer, receiver, entry, settings.now());
      if (!set) {
        unwanted.push(entry.id);
        continue;
      }
      sets[set.jti] = set.token;
      count++;
    }
    // A change the receiver wants no event of (its event types) counts as acknowledged.
    if (unwanted.length) await repos.transaction((tx) => tx.operator.events.acknowledge(receiverId, unwanted, settings.now()));
    if (count > 0 || unwanted.length > 0 || settings.now().getTime() >= deadline) {
      if (count === 0 && unwanted.length > 0 && settings.now().getTime() < deadline) continue;
      return { sets, moreAvailable: entries.length > req.maxEvents };
    }
    await sleep(Math.min(settings.checkMs ?? 250, Math.max(0, deadline - settings.now().getTime())));
  }
}
