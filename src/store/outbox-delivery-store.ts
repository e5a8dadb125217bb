import type { Knex } from 'knex';

export interface ClaimedMessage {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  secret: string | null;
  attempts: number;
}

/**
 * The delivery side of the outbox. Rows are claimed with FOR UPDATE SKIP LOCKED and a lease
 * (claimed_until), so several server processes can deliver at once without sending a message
 * twice, and a process that dies mid-send leaves its rows to be claimed again when the lease ends.
 */
export function outboxDeliveryStore(db: Knex) {
  return {
    async claim(limit: number, now: Date, leaseMs: number): Promise<ClaimedMessage[]> {
      const result = await db.raw(
        `update outbox set claimed_until = ?, attempts = attempts + 1
         where id in (
           select id from outbox
           where status = 'pending' and channel = 'email' and next_attempt_at <= ?
             and (claimed_until is null or claimed_until < ?)
           order by next_attempt_at, id
           limit ? for update skip locked)
         returning id, recipient, subject, body, secret, attempts`,
        [new Date(now.getTime() + leaseMs), now, now, limit],
      );
      return (result.rows as ClaimedMessage[]).map((r) => ({ ...r, id: String(r.id) }));
    },

    /** Delivered: the secret is erased from the stored message (SPEC §3.8). */
    async delivered(id: string, now: Date): Promise<void> {
      await db('outbox').where({ id }).update({ status: 'delivered', delivered_at: now, secret: null, claimed_until: null, last_error: null });
    },

    async failed(id: string, error: string, retryAt: Date | undefined): Promise<void> {
      await db('outbox')
        .where({ id })
        .update(retryAt
          ? { next_attempt_at: retryAt, claimed_until: null, last_error: error.slice(0, 1000) }
          : { status: 'failed', claimed_until: null, last_error: error.slice(0, 1000), secret: null });
    },
  };
}
