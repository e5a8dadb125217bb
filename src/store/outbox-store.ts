import type { Knex } from 'knex';
import { bodyWithSecret, type OutboxMessage } from '../model/outbox-message.ts';

export type { OutboxMessage } from '../model/outbox-message.ts';

export interface OutboxEntry {
  id: string;
  orgId: string | null;
  channel: 'email' | 'letter';
  recipient: string;
  subject: string;
  body: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface OutboxFilter {
  status?: string;
  orgId?: string;
  limit: number;
}

interface OutboxRow {
  id: string | number;
  secret: string | null;
  org_id: string | null;
  channel: 'email' | 'letter';
  recipient: string;
  subject: string;
  body: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const fromRow = (r: OutboxRow): OutboxEntry => ({
  // bigint: a string, so no id is ever rounded.
  id: String(r.id),
  orgId: r.org_id,
  channel: r.channel,
  recipient: r.recipient,
  subject: r.subject,
  // Without SMTP the operators deliver by hand (SPEC §3.8), so a pending message is shown whole.
  body: bodyWithSecret(r.body, r.secret),
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: new Date(r.created_at),
  deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
});

/**
 * Queues a message. Call it with the transaction of the change that causes the message, so the
 * message exists exactly when the change does (SPEC §3.8); delivery happens after commit.
 */
export async function enqueue(db: Knex, message: OutboxMessage): Promise<string> {
  const [row] = await db('outbox')
    .insert({
      org_id: message.orgId,
      user_id: message.userId ?? null,
      secret: message.secret ?? null,
      channel: message.channel,
      recipient: message.recipient,
      subject: message.subject,
      body: message.body,
      status: 'pending',
      next_attempt_at: message.createdAt,
      created_at: message.createdAt,
    })
    .returning('id');
  return String(row.id);
}

/** One organisation's outbox: what it queues concerns that organisation. */
export function tenantOutbox(db: Knex, orgId: string) {
  return {
    enqueue: (message: Omit<OutboxMessage, 'orgId'>) => enqueue(db, { ...message, orgId }),
  };
}

/** The outbox; it is not a tenant table to an operator, who reads every organisation's messages. */
export function outboxStore(db: Knex) {
  return {
    enqueue: (message: OutboxMessage) => enqueue(db, message),

    /** Messages not yet delivered (served by the index outbox_pending). */
    async backlog(): Promise<number> {
      const row = await db('outbox').where({ status: 'pending' }).count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },

    /** Newest first. */
    async list(filter: OutboxFilter): Promise<OutboxEntry[]> {
      const query = db<OutboxRow>('outbox').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(filter.limit);
      if (filter.status) query.where({ status: filter.status });
      if (filter.orgId) query.where({ org_id: filter.orgId });
      return (await query).map(fromRow);
    },
  };
}
