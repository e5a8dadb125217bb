import type { Logger } from 'pino';
import type { SigningKey } from '../auth/signing-key.ts';
import type { Repositories } from '../store/repositories.ts';
import type { ClaimedReceiver } from '../store/events-store.ts';
import type { LogPosition } from '../model/receiver.ts';
import { backoffMs, PollingLoop } from '../delivery/polling-loop.ts';
import { signChange, type SignedSet } from './set-signer.ts';
import { SetPoster } from './set-poster.ts';

export interface PushOptions {
  /** The SETs' `iss`. */
  issuer: string;
  /** Entries read per claim of a receiver. */
  batchSize?: number;
  /** How long a claim holds; a process that dies mid-batch leaves the receiver for this long. */
  leaseMs?: number;
  /** Pause between looks when there was nothing to deliver. */
  intervalMs?: number;
  /** The position is written after this many entries (and at the end of each batch): a crash sends at most these again. */
  saveEvery?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  requestTimeoutMs?: number;
  now?: () => Date;
  random?: () => number;
}

/** What one claim of a receiver came to. */
export interface DeliveryRound {
  claimed: boolean;
  receiverId?: string;
  delivered: number;
  /** Log entries dealt with: delivered, parked, or not wanted by the receiver. */
  processed: number;
  failed: boolean;
  /** A full batch went: there may be more at once. */
  more: boolean;
}

/** RFC 8935 §2.4 error codes that say this one SET is refused: it is parked, and the stream goes on. */
const SET_REFUSED = new Set(['invalid_request']);

type Outcome = { kind: 'delivered' } | { kind: 'parked'; error: string } | { kind: 'retry'; error: string };

/**
 * Push delivery (RFC 8935): each SET is POSTed as application/secevent+jwt to the receiver's
 * endpoint, in log order, and counts as delivered on a 2xx (the RFC's answer is 202 Accepted).
 * A refusal of the SET itself (400 with `err` invalid_request, or 413) parks it, recorded for the
 * operators, and delivery goes on. Everything else — no answer, 5xx, 429, and errors that say the
 * receiver refuses this transmitter (invalid_key, invalid_issuer, invalid_audience,
 * authentication_failed, access_denied), which every later SET would meet as well — is retried
 * with capped exponential backoff and jitter, and nothing behind it is sent meanwhile: a
 * receiver that is down for hours gets its backlog, in order, when it comes back. At least once:
 * a SET sent again carries the same jti.
 */
export class EventPushWorker {
  private readonly loop: PollingLoop;
  private readonly now: () => Date;
  private readonly poster: SetPoster;

  constructor(
    private readonly repos: Repositories,
    private readonly key: SigningKey,
    private readonly log: Logger,
    private readonly options: PushOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.poster = new SetPoster(options.requestTimeoutMs ?? 10_000);
    this.loop = new PollingLoop(() => this.deliverOnce().then((r) => r.more), options.intervalMs ?? 500, log, 'event push delivery');
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.poster.close();
  }

  /** Runs until no receiver has anything it can be sent now; returns how many SETs were delivered. For tests and benchmarks. */
  async drain(): Promise<number> {
    let total = 0;
    const idle = new Set<string>();
    for (;;) {
      const round = await this.deliverOnce();
      total += round.delivered;
      if (!round.receiverId) return total;
      if (round.processed > 0 && !round.failed) idle.clear();
      else if (idle.has(round.receiverId)) return total;
      else idle.add(round.receiverId);
    }
  }

  /** Claims one due receiver and sends it one batch. */
  async deliverOnce(): Promise<DeliveryRound> {
    const store = this.repos.operator.events;
    const leaseMs = this.options.leaseMs ?? 60_000;
    const started = this.now();
    const claim = await store.claim(started, leaseMs);
    if (!claim) return { claimed: false, delivered: 0, processed: 0, failed: false, more: false };
    const batchSize = this.options.batchSize ?? 200;
    const entries = await store.entriesAfter(claim.position, claim.receiver.orgIds, batchSize);
    const progress = { position: claim.position, unsaved: 0, delivered: 0, total: 0, processed: 0 };
    const round = (more: boolean, failed: boolean): DeliveryRound => ({ claimed: true, receiverId: claim.receiver.id, delivered: progress.total, processed: progress.processed, failed, more });
    const save = async () => {
      if (progress.unsaved === 0) return true;
      const held = await store.advance(claim.receiver.id, claim.claimToken, progress.position, progress.delivered, this.now());
      progress.unsaved = 0;
      progress.delivered = 0;
      return held;
    };
    let failure: string | undefined;
    // Each SET is signed while the one before it is on its way: the POSTs go one at a time, in
    // order, and the signing costs no time of its own.
    const sign = (i: number): Promise<SignedSet | undefined> | undefined => {
      if (i >= entries.length) return undefined;
      const signing = signChange(this.key, this.options.issuer, claim.receiver, entries[i], this.now());
      // A SET signed ahead and then not sent is dropped; its failure is no one's concern.
      signing.catch(() => undefined);
      return signing;
    };
    let next = sign(0);
    try {
      for (const [i, entry] of entries.entries()) {
        // Half the lease spent: stop, so the claim never runs out while this process still sends.
        if (this.now().getTime() - started.getTime() > leaseMs / 2) break;
        const set = await next;
        next = sign(i + 1);
        if (set) {
          const outcome = await this.post(claim.receiver.endpointUrl!, set.token);
          if (outcome.kind === 'retry') {
            failure = outcome.error;
            break;
          }
          if (outcome.kind === 'parked') {
            await store.park(claim.receiver.id, entry.id, set.jti, outcome.error, this.now());
            this.log.warn({ receiverId: claim.receiver.id, jti: set.jti, error: outcome.error }, 'event refused by its receiver and parked');
          } else {
            progress.delivered++;
            progress.total++;
          }
        }
        progress.position = { order: entry.order, id: entry.id } satisfies LogPosition;
        progress.unsaved++;
        progress.processed++;
        if (progress.unsaved >= (this.options.saveEvery ?? 50) && !(await save())) return round(false, false);
      }
    } catch (err) {
      failure = (err as Error).message;
    }
    if (!(await save())) return round(false, false);
    await this.release(claim, failure);
    return round(failure === undefined && entries.length === batchSize, failure !== undefined);
  }

  private async release(claim: ClaimedReceiver, failure: string | undefined): Promise<void> {
    const store = this.repos.operator.events;
    if (failure === undefined) return store.release(claim.receiver.id, claim.claimToken);
    const attempts = claim.attempts + 1;
    const delay = backoffMs(attempts, this.options.retryBaseMs ?? 1000, this.options.retryCapMs ?? 300_000, this.options.random ?? Math.random);
    const now = this.now();
    this.log.warn({ receiverId: claim.receiver.id, attempts, retryInMs: delay, error: failure }, 'event delivery failed; will retry');
    await store.release(claim.receiver.id, claim.claimToken, { at: new Date(now.getTime() + delay), attempts, error: failure, now });
  }

  private async post(url: string, token: string): Promise<Outcome> {
    let response;
    try {
      response = await this.poster.post(url, token);
    } catch (err) {
      const code = (err as { code?: string }).code;
      return { kind: 'retry', error: `no answer from ${url}: ${code ?? (err as Error).message}` };
    }
    if (response.status >= 200 && response.status < 300) return { kind: 'delivered' };
    const body = parseErrorBody(response.body);
    const described = `HTTP ${response.status}${body ? ` ${body.err}${body.description ? `: ${body.description}` : ''}` : ''}`;
    // RFC 8935 §2.3: a 400 carries {"err", "description"}; the code says whose fault it is.
    if (response.status === 400 && (!body || SET_REFUSED.has(body.err))) return { kind: 'parked', error: described };
    if (response.status === 413) return { kind: 'parked', error: described };
    return { kind: 'retry', error: described };
  }
}

function parseErrorBody(text: string): { err: string; description?: string } | undefined {
  try {
    const body = JSON.parse(text) as { err?: unknown; description?: unknown };
    if (typeof body.err !== 'string') return undefined;
    return { err: body.err.slice(0, 100), description: typeof body.description === 'string' ? body.description.slice(0, 500) : undefined };
  } catch {
    return undefined;
  }
}
