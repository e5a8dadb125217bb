import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { ClaimedMessage } from '../store/outbox-delivery-store.ts';
import type { Repositories } from '../store/repositories.ts';
import { bodyWithSecret } from '../model/outbox-message.ts';
import { backoffMs, PollingLoop } from './polling-loop.ts';

export interface WorkerOptions {
  smtpUrl: string;
  from: string;
  /** Where the web pages are, for the link in a one-time password's e-mail. */
  siteUrl?: string;
  intervalMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  now?: () => Date;
}

/** Exponential backoff from 30 seconds, capped at an hour. */
export function retryDelayMs(attempts: number): number {
  return backoffMs(attempts, 30_000, 3_600_000);
}

/**
 * Delivers the outbox's e-mails by SMTP (SPEC §3.8): at least once, with retries and backoff.
 * Letters stay in the outbox for the operators, who print and post them (idm outbox).
 */
export class OutboxWorker {
  private readonly transport: Transporter;
  private readonly loop: PollingLoop;

  constructor(
    private readonly repos: Repositories,
    private readonly log: Logger,
    private readonly options: WorkerOptions,
  ) {
    this.transport = nodemailer.createTransport(options.smtpUrl);
    this.loop = new PollingLoop(async () => void (await this.deliverBatch()), options.intervalMs ?? 2000, log, 'outbox delivery');
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.transport.close();
  }

  /** Claims and sends one batch; returns how many were delivered. */
  async deliverBatch(): Promise<number> {
    const now = (this.options.now ?? (() => new Date()))();
    const store = this.repos.operator.outboxDelivery;
    const claimed = await store.claim(this.options.batchSize ?? 20, now, 5 * 60_000);
    let delivered = 0;
    for (const message of claimed) {
      try {
        await this.send(message);
        await store.delivered(message.id, (this.options.now ?? (() => new Date()))());
        delivered++;
      } catch (err) {
        const giveUp = message.attempts >= (this.options.maxAttempts ?? 10);
        const retryAt = giveUp ? undefined : new Date(now.getTime() + retryDelayMs(message.attempts));
        await store.failed(message.id, (err as Error).message, retryAt);
        this.log.warn({ outboxId: message.id, attempts: message.attempts, giveUp }, 'e-mail delivery failed');
      }
    }
    return delivered;
  }

  private async send(message: ClaimedMessage): Promise<void> {
    const text = bodyWithSecret(message.body, message.secret, this.options.siteUrl);
    await this.transport.sendMail({ from: this.options.from, to: message.recipient, subject: message.subject, text });
  }
}
