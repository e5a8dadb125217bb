import type { Knex } from 'knex';
import { isUuid } from '../model/ids.ts';
import type { TerminationStatus } from '../model/termination.ts';

export type { TerminationStatus } from '../model/termination.ts';

export interface TerminationRow {
  org_id: string;
  id: string;
  user_id: string;
  /** The user's current userName while the user exists, else the one recorded when opened. */
  user_name: string;
  status: TerminationStatus;
  opened_at: Date;
  opened_by_subject: string;
  opened_by_role: string;
  closed_at: Date | null;
  closed_by: string | null;
}

const COLUMNS = [
  't.org_id', 't.id', 't.user_id', 't.status', 't.opened_at', 't.opened_by_subject', 't.opened_by_role', 't.closed_at', 't.closed_by',
];

/** Termination requests of one organisation (SPEC §3.3). Every statement carries `org_id = ?`. */
export function terminationsStore(db: Knex, orgId: string) {
  return {
    /** Opens a request unless one is open for the user already (the partial unique index decides). */
    async open(id: string, user: { id: string; userName: string }, by: { subject: string; role: string }, now: Date): Promise<boolean> {
      const rows = await db('termination_requests')
        .insert({
          org_id: orgId,
          id,
          user_id: user.id,
          user_name: user.userName,
          status: 'open',
          opened_at: now,
          opened_by_subject: by.subject,
          opened_by_role: by.role,
        })
        .onConflict()
        .ignore()
        .returning('id');
      return rows.length > 0;
    },

    /** Closes the user's open request, if any; returns its id. */
    async closeOpenFor(userId: string, status: Exclude<TerminationStatus, 'open'>, closedBy: string, now: Date): Promise<string | undefined> {
      const [row] = await db('termination_requests')
        .where({ org_id: orgId, user_id: userId, status: 'open' })
        .update({ status, closed_at: now, closed_by: closedBy })
        .returning('id');
      return row?.id;
    },

    /** The open requests of some users (a page of them): user id → when the request was opened. */
    async openFor(userIds: string[]): Promise<Map<string, Date>> {
      if (userIds.length === 0) return new Map();
      const rows: { user_id: string; opened_at: Date }[] = await db('termination_requests')
        .where({ org_id: orgId, status: 'open' })
        .whereIn('user_id', userIds)
        .select('user_id', 'opened_at');
      return new Map(rows.map((r) => [r.user_id, new Date(r.opened_at)]));
    },

    async close(id: string, status: Exclude<TerminationStatus, 'open'>, closedBy: string, now: Date): Promise<void> {
      await db('termination_requests').where({ org_id: orgId, id }).update({ status, closed_at: now, closed_by: closedBy });
    },
  };
}

/**
 * The operators' view across organisations (SPEC §6.4). Only the operator API reaches it; a
 * tenant's requests go through {@link terminationsStore}.
 */
export function terminationQueue(db: Knex) {
  const withUserName = () =>
    db('termination_requests as t')
      .leftJoin('users as u', function () {
        this.on('u.org_id', 't.org_id').andOn('u.id', 't.user_id');
      })
      .select(...COLUMNS, db.raw('coalesce(u.user_name, t.user_name) as user_name'));

  return {
    async list(filter: { status?: TerminationStatus; orgId?: string; limit: number }): Promise<TerminationRow[]> {
      const query = withUserName().orderBy([{ column: 't.opened_at', order: 'desc' }, { column: 't.id', order: 'desc' }]).limit(filter.limit);
      if (filter.status) query.where('t.status', filter.status);
      if (filter.orgId) query.where('t.org_id', filter.orgId);
      return query;
    },

    async find(id: string): Promise<TerminationRow | undefined> {
      if (!isUuid(id)) return undefined;
      return withUserName().where('t.id', id).first();
    },

    /** Locks the request for the rest of the transaction, so two completions serialise. */
    async lock(id: string): Promise<{ org_id: string; id: string; user_id: string; status: TerminationStatus } | undefined> {
      if (!isUuid(id)) return undefined;
      return db('termination_requests').where({ id }).forUpdate().first('org_id', 'id', 'user_id', 'status');
    },
  };
}
