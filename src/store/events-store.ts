import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { ChangeEntry, EventType, LogPosition, Receiver, ReceiverFields, ReceiverStatus } from '../model/receiver.ts';
import { CHANGE_ACTIONS } from '../model/receiver.ts';

interface ReceiverRow {
  id: string;
  name: string;
  audience: string;
  endpoint_url: string | null;
  org_ids: string[] | null;
  event_types: string[] | null;
  payload: 'notice' | 'full';
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
  position_order: string;
  position_id: string;
  attempts: number;
  delivered_count: string;
  last_delivered_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  next_attempt_at: Date | null;
}

const toReceiver = (r: ReceiverRow): Receiver => ({
  id: r.id,
  name: r.name,
  audience: r.audience,
  endpointUrl: r.endpoint_url,
  orgIds: r.org_ids,
  eventTypes: r.event_types as EventType[] | null,
  payload: r.payload,
  enabled: r.enabled,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});


/** A receiver claimed for push delivery, with the token that proves the claim is still its own. */
export interface ClaimedReceiver {
  receiver: Receiver;
  position: LogPosition;
  attempts: number;
  claimToken: string;
}

// Below the oldest transaction still running, every row is final (see the migration's comment).
const HORIZON = 'pg_snapshot_xmin(pg_current_snapshot())';
const ACTIONS = `(${CHANGE_ACTIONS.map((a) => `'${a}'`).join(', ')})`;

interface LogRow {
  id: string;
  event_order: string;
  xact_id: string;
  org_id: string;
  at: Date;
  action: string;
  resource_type: string;
  resource_id: string;
  changes: ChangeEntry['changes'];
}

const toEntry = (r: LogRow): ChangeEntry => ({
  id: String(r.id),
  order: r.event_order,
  txn: r.xact_id,
  orgId: r.org_id,
  at: new Date(r.at),
  action: r.action,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  changes: r.changes,
});

/**
 * Receivers and their place in the change log (SPEC §6.6). The log is the audit trail's change
 * rows in (event_order, id) order; a receiver's position says how far it has been served. Push
 * delivery claims a receiver with FOR UPDATE SKIP LOCKED and a lease, like the outbox, so one
 * process at a time serves a receiver, in order; a process that dies leaves the lease to run out.
 */
export function eventsStore(db: Knex) {
  /** The receiver's next entries after `position`, of its organisations, up to the horizon. */
  async function entriesAfter(position: LogPosition, orgIds: string[] | null, limit: number): Promise<ChangeEntry[]> {
    const result = await db.raw(
      `select id, event_order, xact_id, org_id, at, action, resource_type, resource_id, changes
       from audit_events
       where event_order is not null and (event_order, id) > (?::xid8, ?::bigint)
         and event_order < ${HORIZON} and action in ${ACTIONS}
         and (?::uuid[] is null or org_id = any(?::uuid[]))
       order by event_order, id
       limit ?`,
      [position.order, position.id, orgIds, orgIds, limit],
    );
    return (result.rows as LogRow[]).map(toEntry);
  }

  async function positionOf(id: string): Promise<LogPosition | undefined> {
    const row = await db('event_receivers').where({ id }).first('position_order', 'position_id');
    return row ? { order: row.position_order, id: String(row.position_id) } : undefined;
  }

  return {
    async create(fields: ReceiverFields, now: Date): Promise<Receiver> {
      // A new receiver starts at the horizon: it hears of changes from its registration on.
      const id = crypto.randomUUID();
      const result = await db.raw(
        `insert into event_receivers (id, name, audience, endpoint_url, org_ids, event_types, payload, enabled, created_at, updated_at, position_order, position_id)
         values (?, ?, ?, ?, ?::uuid[], ?::text[], ?, ?, ?, ?, ${HORIZON}, 0) returning *`,
        [id, fields.name, fields.audience, fields.endpointUrl, fields.orgIds, fields.eventTypes, fields.payload, fields.enabled, now, now],
      );
      return toReceiver(result.rows[0]);
    },

    async update(id: string, fields: Partial<ReceiverFields>, now: Date): Promise<Receiver | undefined> {
      const set: Record<string, unknown> = { updated_at: now };
      if (fields.name !== undefined) set.name = fields.name;
      if (fields.audience !== undefined) set.audience = fields.audience;
      if (fields.endpointUrl !== undefined) set.endpoint_url = fields.endpointUrl;
      if (fields.orgIds !== undefined) set.org_ids = fields.orgIds === null ? null : db.raw('?::uuid[]', [fields.orgIds]);
      if (fields.eventTypes !== undefined) set.event_types = fields.eventTypes === null ? null : db.raw('?::text[]', [fields.eventTypes]);
      if (fields.payload !== undefined) set.payload = fields.payload;
      if (fields.enabled !== undefined) {
        set.enabled = fields.enabled;
        // Enabling a receiver again retries at once.
        if (fields.enabled) Object.assign(set, { next_attempt_at: null, attempts: 0 });
      }
      const [row] = await db('event_receivers').where({ id }).update(set).returning('*');
      return row ? toReceiver(row) : undefined;
    },

    async remove(id: string): Promise<boolean> {
      return (await db('event_receivers').where({ id }).delete()) > 0;
    },

    async find(id: string): Promise<Receiver | undefined> {
      const row = await db('event_receivers').where({ id }).first();
      return row ? toReceiver(row) : undefined;
    },

    position: positionOf,

    /** Every receiver with its backlog (entries after its position, the ones in flight included). */
    async list(): Promise<ReceiverStatus[]> {
      const result = await db.raw(
        `select r.*,
           (select count(*) from audit_events a
             where a.event_order is not null and (a.event_order, a.id) > (r.position_order, r.position_id)
               and a.action in ${ACTIONS} and (r.org_ids is null or a.org_id = any(r.org_ids))) as backlog,
           (select count(*) from event_parked p where p.receiver_id = r.id) as parked
         from event_receivers r order by lower(r.name)`,
      );
      return (result.rows as (ReceiverRow & { backlog: string; parked: string })[]).map((r) => ({
        ...toReceiver(r),
        backlog: Number(r.backlog),
        deliveredCount: Number(r.delivered_count),
        lastDeliveredAt: r.last_delivered_at ? new Date(r.last_delivered_at) : null,
        lastError: r.last_error,
        lastErrorAt: r.last_error_at ? new Date(r.last_error_at) : null,
        nextAttemptAt: r.next_attempt_at ? new Date(r.next_attempt_at) : null,
        parkedCount: Number(r.parked),
      }));
    },

    entriesAfter,

    /**
     * Claims one enabled push receiver that is due, for `leaseMs`, the one looked at longest ago
     * first (so every receiver gets its turn). The claim token makes every later write conditional
     * on the claim still being this one's.
     */
    async claim(now: Date, leaseMs: number): Promise<ClaimedReceiver | undefined> {
      const token = crypto.randomUUID();
      const result = await db.raw(
        `update event_receivers set claim_token = ?, claimed_until = ?, checked_at = ?
         where id = (
           select id from event_receivers
           where enabled and endpoint_url is not null
             and (next_attempt_at is null or next_attempt_at <= ?)
             and (claimed_until is null or claimed_until < ?)
           order by checked_at nulls first, id
           limit 1 for update skip locked)
         returning *`,
        [token, new Date(now.getTime() + leaseMs), now, now, now],
      );
      const row = result.rows[0] as ReceiverRow | undefined;
      if (!row) return undefined;
      return { receiver: toReceiver(row), position: { order: row.position_order, id: String(row.position_id) }, attempts: row.attempts, claimToken: token };
    },

    /** Moves a claimed receiver's position forward; false when the claim is no longer held. */
    async advance(id: string, claimToken: string, position: LogPosition, delivered: number, now: Date): Promise<boolean> {
      const count = await db('event_receivers')
        .where({ id, claim_token: claimToken })
        .whereRaw('(position_order, position_id) < (?::xid8, ?::bigint)', [position.order, position.id])
        .update({
          position_order: db.raw('?::xid8', [position.order]),
          position_id: position.id,
          delivered_count: db.raw('delivered_count + ?', [delivered]),
          ...(delivered > 0 ? { last_delivered_at: now } : {}),
          attempts: 0,
          next_attempt_at: null,
        });
      return count > 0;
    },

    /** Ends a claim; with `retry`, the receiver is not tried again before `retry.at`. */
    async release(id: string, claimToken: string, retry?: { at: Date; attempts: number; error: string; now: Date }): Promise<void> {
      await db('event_receivers')
        .where({ id, claim_token: claimToken })
        .update({
          claim_token: null,
          claimed_until: null,
          ...(retry ? { next_attempt_at: retry.at, attempts: retry.attempts, last_error: retry.error.slice(0, 1000), last_error_at: retry.now } : {}),
        });
    },

    /** Records an event the receiver refused for good (RFC 8935 §2.4), so it is not sent again. */
    async park(receiverId: string, entryId: string, jti: string, error: string, now: Date): Promise<void> {
      await db('event_parked').insert({ receiver_id: receiverId, audit_id: entryId, jti, error: error.slice(0, 1000), parked_at: now }).onConflict(['receiver_id', 'audit_id']).ignore();
      await db('event_receivers').where({ id: receiverId }).update({ last_error: error.slice(0, 1000), last_error_at: now });
    },

    async parked(receiverId: string): Promise<{ jti: string; error: string; parkedAt: Date }[]> {
      const rows = await db('event_parked').where({ receiver_id: receiverId }).orderBy('audit_id');
      return rows.map((r) => ({ jti: r.jti, error: r.error, parkedAt: new Date(r.parked_at) }));
    },

    /**
     * RFC 8936 §2.4: records acknowledgements, then moves the position over the acknowledged
     * entries at its front. Runs in the caller's transaction, with the receiver row locked, so two
     * polls of one receiver take turns.
     */
    async acknowledge(receiverId: string, entryIds: string[], now: Date): Promise<void> {
      const row = await db('event_receivers').where({ id: receiverId }).forUpdate().first('position_order', 'position_id', 'org_ids');
      if (!row) return;
      if (entryIds.length) {
        await db.raw(
          `insert into event_acks (receiver_id, audit_id)
           select ?, x from unnest(?::bigint[]) x on conflict do nothing`,
          [receiverId, entryIds],
        );
      }
      let position: LogPosition = { order: row.position_order, id: String(row.position_id) };
      const moved: string[] = [];
      for (;;) {
        const next = await entriesAfter(position, row.org_ids, 500);
        if (next.length === 0) break;
        const acked = new Set((await db('event_acks').where({ receiver_id: receiverId }).whereIn('audit_id', next.map((e) => e.id)).pluck('audit_id')).map(String));
        let stop = false;
        for (const entry of next) {
          if (!acked.has(entry.id)) {
            stop = true;
            break;
          }
          position = { order: entry.order, id: entry.id };
          moved.push(entry.id);
        }
        if (stop || next.length < 500) break;
      }
      if (moved.length > 0) {
        await db('event_receivers').where({ id: receiverId }).update({
          position_order: db.raw('?::xid8', [position.order]),
          position_id: position.id,
          delivered_count: db.raw('delivered_count + ?', [moved.length]),
          last_delivered_at: now,
        });
        await db('event_acks').where({ receiver_id: receiverId }).whereIn('audit_id', moved).delete();
      }
    },

    /** The receiver's entries after its position that it has not acknowledged, up to `limit`. */
    async unacknowledged(receiverId: string, orgIds: string[] | null, limit: number): Promise<ChangeEntry[]> {
      const position = await positionOf(receiverId);
      if (!position) return [];
      const out: ChangeEntry[] = [];
      let from = position;
      while (out.length < limit) {
        const batch = await entriesAfter(from, orgIds, limit);
        if (batch.length === 0) break;
        const acked = new Set((await db('event_acks').where({ receiver_id: receiverId }).whereIn('audit_id', batch.map((e) => e.id)).pluck('audit_id')).map(String));
        for (const entry of batch) if (!acked.has(entry.id) && out.length < limit) out.push(entry);
        const last = batch[batch.length - 1];
        from = { order: last.order, id: last.id };
        if (batch.length < limit) break;
      }
      return out;
    },

    async recordError(receiverId: string, error: string, now: Date): Promise<void> {
      await db('event_receivers').where({ id: receiverId }).update({ last_error: error.slice(0, 1000), last_error_at: now });
    },
  };
}

export type EventsStore = ReturnType<typeof eventsStore>;
