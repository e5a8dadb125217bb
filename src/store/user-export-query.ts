import type { Knex } from 'knex';
import { usersStore } from './users-store.ts';

/** The columns of a user the export shows; `data` is read only for `name` and `emails`. */
export interface ExportUserRow {
  id: string;
  user_name: string;
  active: boolean;
  name: unknown;
  emails: unknown;
  credential_status: string;
  created_at: Date;
  modified_at: Date;
  /** created_at at full precision, for the keyset. */
  created_key: string;
}

export const EXPORT_PAGE_SIZE = 1000;

// Microseconds kept: a Date would round them and the keyset could repeat or skip a user.
const CREATED_KEY = `to_char(users.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The users of one organisation in creation order, `pageSize` at a time, by keyset on
 * (created_at, id) over the (org_id, created_at, id) index: memory stays constant however many
 * users there are, and each page costs the same. Pages are separate statements, not one
 * transaction, so a slow download holds no connection; a user created meanwhile appears at the end.
 */
export async function* userExportPages(db: Knex, orgId: string, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<ExportUserRow[]> {
  const users = usersStore(db, orgId);
  let after: { key: string; id: string } | undefined;
  for (;;) {
    const page = users.query()
      .select(
        'users.id', 'users.user_name', 'users.active', 'users.credential_status', 'users.created_at', 'users.modified_at',
        db.raw(`users.data -> 'name' as name`),
        db.raw(`users.data -> 'emails' as emails`),
        db.raw(`${CREATED_KEY} as created_key`),
      )
      .orderBy([{ column: 'users.created_at', order: 'asc' }, { column: 'users.id', order: 'asc' }])
      .limit(pageSize);
    if (after) page.whereRaw('(users.created_at, users.id) > (?::timestamptz, ?::uuid)', [after.key, after.id]);
    const rows = (await page) as ExportUserRow[];
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = { key: last.created_key, id: last.id };
  }
}
