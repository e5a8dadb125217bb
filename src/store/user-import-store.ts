import type { Knex } from 'knex';
import { usersStore, type UserRow } from './users-store.ts';

const COLUMNS = ['org_id', 'id', 'user_name', 'external_id', 'active', 'data', 'credential_status', 'version', 'created_at', 'modified_at'];

/**
 * The reads of a CSV import batch (SPEC §6.4): one statement finds which of a batch's userNames
 * are already users of the organisation, through the users_org_user_name index
 * (org_id, lower(user_name)), instead of one lookup per row.
 */
export function userImportStore(db: Knex, orgId: string) {
  return {
    /** The users of this organisation whose userName, lower-cased, is among `lowerNames`. */
    async byLowerUserNames(lowerNames: string[]): Promise<UserRow[]> {
      if (lowerNames.length === 0) return [];
      return usersStore(db, orgId).query().whereRaw('lower(users.user_name) = any(?::text[])', [lowerNames]).select(COLUMNS.map((c) => `users.${c}`));
    },
  };
}
