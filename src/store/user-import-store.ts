import type { Knex } from 'knex';
import type { User } from '../model/user.ts';
import { toUser, usersStore, type UserRow } from './users-store.ts';

const COLUMNS = ['org_id', 'id', 'user_name', 'external_id', 'active', 'data', 'credential_status', 'version', 'created_at', 'modified_at'];

export interface RegisteredName {
  lower_name: string;
  org_id: string;
  user_id: string;
}

/**
 * The reads of a CSV import batch (SPEC §6.4): which of a batch's userNames are taken, and the
 * users of this organisation that hold them, in two primary-key lookups per batch instead of one
 * lookup per row.
 */
export function userImportStore(db: Knex, orgId: string) {
  return {
    /**
     * The server-wide userName registry (SPEC §3.3, §7) entries among `lowerNames`, in any
     * organisation: the import refuses a name another organisation holds, as SCIM would (409).
     */
    async registered(lowerNames: string[]): Promise<RegisteredName[]> {
      if (lowerNames.length === 0) return [];
      return db('user_names').whereRaw('lower_name = any(?::text[])', [lowerNames]).select('lower_name', 'org_id', 'user_id');
    },

    /** The users of this organisation among `ids`. */
    async users(ids: string[]): Promise<User[]> {
      if (ids.length === 0) return [];
      const rows: UserRow[] = await usersStore(db, orgId).query().whereRaw('users.id = any(?::uuid[])', [ids]).select(COLUMNS.map((c) => `users.${c}`));
      return rows.map(toUser);
    },
  };
}
