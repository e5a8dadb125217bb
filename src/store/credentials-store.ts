import type { Knex } from 'knex';
import { isUuid } from '../model/ids.ts';
import { ID_ARRAY, idList } from './id-lists.ts';

export interface CredentialRow {
  org_id: string;
  id: string;
  user_name: string;
  active: boolean;
  data: Record<string, unknown>;
  credential_status: string;
  password_hash: string | null;
  otp_hash: string | null;
  otp_expires_at: Date | null;
  failed_logins: number;
  locked_until: Date | null;
  /** When POST /auth/forgot last sent this user a one-time password (SPEC §6.2: once per 15 minutes). */
  forgot_sent_at: Date | null;
}

const COLUMNS = ['org_id', 'id', 'user_name', 'active', 'data', 'credential_status', 'password_hash', 'otp_hash', 'otp_expires_at', 'failed_logins', 'locked_until', 'forgot_sent_at'];

/**
 * The credential columns of one organisation's users: kept apart from the SCIM user store, which
 * never returns them. Every statement carries `org_id = ?`.
 */
export function credentialsStore(db: Knex, orgId: string) {
  return {
    /** With `lock`, under a row lock until the caller's transaction ends. */
    async find(userId: string, options: { lock?: boolean } = {}): Promise<CredentialRow | undefined> {
      if (!isUuid(userId)) return undefined;
      const query = db('users').where({ org_id: orgId, id: userId }).first(COLUMNS);
      return options.lock ? query.forUpdate() : query;
    },

    /** Users among `ids` who have never been issued credentials (SPEC §3.4: the first grant issues them). */
    async withoutCredentials(ids: string[]): Promise<CredentialRow[]> {
      if (ids.length === 0) return [];
      return db('users').where({ org_id: orgId, credential_status: 'none' }).whereRaw(`id = any(${ID_ARRAY})`, [idList(ids)]).orderBy('user_name').select(COLUMNS);
    },

    async update(userId: string, changes: Partial<Omit<CredentialRow, 'org_id' | 'id'>> & { password_changed_at?: Date }): Promise<void> {
      await db('users').where({ org_id: orgId, id: userId }).update(changes);
    },

    async isMemberOfService(userId: string, serviceCode: string): Promise<boolean> {
      const row = await db('memberships as m')
        .join('groups as g', function () {
          this.on('g.org_id', 'm.org_id').andOn('g.id', 'm.group_id');
        })
        .where({ 'm.org_id': orgId, 'm.user_id': userId, 'g.service_code': serviceCode })
        .first('m.user_id');
      return Boolean(row);
    },

    /** SPEC §3.4: a user who is a member of no group holds no service and is sent nothing. */
    async holdsAnyService(userId: string): Promise<boolean> {
      return Boolean(await db('memberships').where({ org_id: orgId, user_id: userId }).first('user_id'));
    },
  };
}

export type CredentialsStore = ReturnType<typeof credentialsStore>;

/**
 * The server-wide userName registry: the one lookup of sign-in that cannot know the organisation
 * in advance (SPEC §3.3: userName is unique across the server). It answers where the user is;
 * everything after goes through that organisation's repositories.
 */
export function userNameDirectory(db: Knex) {
  return {
    async locate(userName: string): Promise<{ orgId: string; userId: string } | undefined> {
      const entry = await db('user_names').where({ lower_name: userName.toLowerCase() }).first('org_id', 'user_id');
      return entry ? { orgId: entry.org_id, userId: entry.user_id } : undefined;
    },
  };
}
