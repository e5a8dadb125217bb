import type { Knex } from 'knex';
import { isUuid } from '../model/ids.ts';
import { ID_ARRAY, UUID_PATTERN, idList, idsFrom, idsOf } from './id-lists.ts';
import { preparedRaw } from './prepared.ts';
import type { SqlFragment } from './sql-fragment.ts';
import { Conflict } from '../model/outcomes.ts';
import type { Membership, User } from '../model/user.ts';

/** The row of `users` this store reads; nothing outside store/ sees it (see toUser). */
export interface UserRow {
  org_id: string;
  id: string;
  user_name: string;
  external_id: string | null;
  active: boolean;
  data: Record<string, unknown>;
  credential_status: string;
  version: number;
  created_at: Date;
  modified_at: Date;
}

/** The columns a write sets; everything else about a user is derived or kept by the server. */
export interface UserWrite {
  userName: string;
  externalId: string | null;
  active: boolean;
  data: Record<string, unknown>;
}

/** The domain's User of a row. */
export function toUser(row: UserRow): User {
  return {
    orgId: row.org_id,
    id: row.id,
    userName: row.user_name,
    externalId: row.external_id,
    active: row.active,
    data: row.data,
    credentialStatus: row.credential_status,
    version: row.version,
    created: new Date(row.created_at),
    modified: new Date(row.modified_at),
  };
}

/**
 * A user's memberships with their groups, as one JSON column beside the user, in the shape of
 * the model's Membership: a user is read with its `groups` and `services` in a single query (one
 * round trip on the hottest paths).
 */
export const MEMBERSHIPS_SQL = `(select coalesce(json_agg(json_build_object('userId', m.user_id, 'groupId', g.id, 'displayName', g.display_name, 'serviceCode', g.service_code) order by g.display_name), '[]'::json)
  from memberships m join groups g on g.org_id = m.org_id and g.id = m.group_id
  where m.org_id = users.org_id and m.user_id = users.id) as memberships`;

export interface NewUser {
  id: string;
  write: UserWrite;
  passwordHash?: string;
  /** The `changes` of the user's `user.create` audit event. */
  auditChanges: unknown;
}

export interface AuditActor {
  subject: string;
  role: string;
  requestId: string | null;
}

export type InsertOutcome = { user: User } | { taken: 'userName' | 'externalId' };

type InsertedRow = { n: number; claimed: boolean; external_id_free: boolean } & { [K in keyof UserRow]: UserRow[K] | null };

/**
 * Bindings: the users as a JSON array, then org_id, now, and the actor's subject, role and request
 * id. Every CTE sees the same snapshot, so duplicates inside the input are settled by ON CONFLICT
 * in input order (the first wins), as if the same requests had been sent one by one.
 * The externalId check is fenced with OFFSET 0 so it stays one index probe per new user: without
 * it PostgreSQL may plan it as a hashed subplan, which reads the whole users table into a hash
 * first (it guesses 100 input rows; around 10,000 users the hash looks cheaper than 100 probes).
 */
const INSERT_MANY_SQL = `
with input as (
  select * from jsonb_to_recordset(?::jsonb) as i(n int, id uuid, lower_name text, user_name text, external_id text,
    active boolean, data jsonb, password_hash text, changes jsonb)
), p as (
  select ?::uuid as org_id, ?::timestamptz as now, ?::text as subject, ?::text as role, ?::text as request_id
), free as (
  select i.* from input i, p
  where i.external_id is null
     or not exists (select 1 from users u where u.org_id = p.org_id and u.external_id = i.external_id offset 0)
), claimed as (
  insert into user_names (lower_name, org_id, user_id)
  select f.lower_name, p.org_id, f.id from free f, p order by f.n
  on conflict do nothing
  returning user_id
), inserted as (
  insert into users (org_id, id, user_name, external_id, active, data, password_hash, password_changed_at, created_at, modified_at, ungrouped_since)
  select p.org_id, i.id, i.user_name, i.external_id, i.active, i.data, i.password_hash,
    case when i.password_hash is null then null else p.now end, p.now, p.now, p.now
  from input i join claimed c on c.user_id = i.id, p order by i.n
  on conflict do nothing
  returning org_id, id, user_name, external_id, active, data, credential_status, version, created_at, modified_at
), audited as (
  insert into audit_events (org_id, at, actor_subject, actor_role, action, resource_type, resource_id, request_id, changes)
  select p.org_id, p.now, p.subject, p.role, 'user.create', 'User', u.id::text, p.request_id, i.changes
  from inserted u join input i on i.id = u.id, p order by i.n
)
select i.n, c.user_id is not null as claimed, f.id is not null as external_id_free,
  u.org_id, u.id, u.user_name, u.external_id, u.active, u.data, u.credential_status, u.version, u.created_at, u.modified_at
from input i
left join free f on f.id = i.id
left join claimed c on c.user_id = i.id
left join inserted u on u.id = i.id
order by i.n`;

/** A user with its memberships, as the hottest reads return it. */
export type UserWithMemberships = User & { memberships: Membership[] };

const withMemberships = (row: UserRow & { memberships: Membership[] }): UserWithMemberships => ({ ...toUser(row), memberships: row.memberships });

const COLUMNS = ['org_id', 'id', 'user_name', 'external_id', 'active', 'data', 'credential_status', 'version', 'created_at', 'modified_at'];
const SELECT_WITH_MEMBERSHIPS = `select ${COLUMNS.map((c) => `users.${c}`).join(', ')}, ${MEMBERSHIPS_SQL} from users`;
const FIND_WITH_MEMBERSHIPS_SQL = `${SELECT_WITH_MEMBERSHIPS} where users.org_id = ? and users.id = ?`;

/**
 * userName is unique across the server, case-insensitively (RFC 7643 `uniqueness: server`): the
 * user_names primary key decides, and a name already claimed is a Conflict outcome here, so
 * single requests and Bulk operations report it alike.
 */
async function claimUserName(db: Knex, userName: string, orgId: string, userId: string): Promise<void> {
  const claimed = await db('user_names').insert({ lower_name: userName.toLowerCase(), org_id: orgId, user_id: userId }).onConflict().ignore().returning('user_id');
  if (claimed.length === 0) throw new Conflict(`userName "${userName}" is already taken`, 'uniqueness');
}

/**
 * Users of one organisation. Every statement carries `org_id = ?`; there is no other way in.
 * The server-wide userName registry (user_names, keyed by the lower-cased name) is kept in step
 * in the same statements' transaction, so uniqueness holds across organisations (SPEC §3.3, §7).
 */
export function usersStore(db: Knex, orgId: string) {
  const users = () => db<UserRow>('users').where('users.org_id', orgId);

  return {
    orgId,
    query: users,

    async find(id: string): Promise<User | undefined> {
      if (!isUuid(id)) return undefined;
      const row: UserRow | undefined = await users().where('users.id', id).first(COLUMNS);
      return row && toUser(row);
    },

    async findWithMemberships(id: string): Promise<UserWithMemberships | undefined> {
      if (!isUuid(id)) return undefined;
      const [row] = await preparedRaw<UserRow & { memberships: Membership[] }>(db, FIND_WITH_MEMBERSHIPS_SQL, [orgId, id]);
      return row && withMemberships(row);
    },

    /**
     * The user an equality on a unique attribute selects (userName, id, externalId), with its
     * memberships: the commonest SCIM call (`filter=userName eq "…"`) as one prepared statement.
     * The condition is a compiled filter, whose text depends on the attribute only.
     */
    async findOneWhere(condition: SqlFragment): Promise<UserWithMemberships[]> {
      const rows = await preparedRaw<UserRow & { memberships: Membership[] }>(db, `${SELECT_WITH_MEMBERSHIPS} where users.org_id = ? and (${condition.sql}) limit 1`, [orgId, ...condition.bindings]);
      return rows.map(withMemberships);
    },

    /**
     * How many users the organisation has: the sum of the shards the users table's triggers keep
     * (migration user_counts), constant time where COUNT(*) reads every index entry.
     */
    async countAll(): Promise<number> {
      const [row] = await preparedRaw<{ n: string }>(db, 'select coalesce(sum(n), 0) as n from user_counts where org_id = ?', [orgId]);
      return Number(row.n);
    },

    /** Locks the row for the rest of the transaction: concurrent writes to one user serialise. */
    async findForUpdate(id: string): Promise<User | undefined> {
      if (!isUuid(id)) return undefined;
      const row: UserRow | undefined = await users().where('users.id', id).forUpdate().first(COLUMNS);
      return row && toUser(row);
    },

    /** The ids among `ids` that are users of this organisation. */
    async existing(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const result = await db.raw(`with found as (select id from users where org_id = ? and id = any(${ID_ARRAY})) ${idsOf('found', 'id')}`, [orgId, idList(ids)]);
      return new Set(idsFrom(result));
    },

    /**
     * The first of `ids`, in their order, that is no User of this organisation (ids compare as
     * PostgreSQL writes them). Checked in PostgreSQL, so 10,000 member values cost one statement
     * and no list of the ones found comes back.
     */
    async firstUnknown(ids: string[]): Promise<string | undefined> {
      if (ids.length === 0) return undefined;
      const result = await db.raw(
        `select v from json_array_elements_text(?::json) with ordinality as ids(v, n)
          where not exists (select 1 from users u where u.org_id = ? and u.id = (case when v ~* '${UUID_PATTERN}' then v::uuid end) and u.id::text = v)
          order by n limit 1`,
        [idList(ids), orgId],
      );
      return result.rows[0]?.v;
    },

    /**
     * Inserts new users with their userName claims and `user.create` audit events in one
     * statement, in input order. A clash is an outcome, not an error: a name already claimed
     * (or claimed earlier in the same input) or an externalId already used leaves that user out
     * and the rest in, so the caller need not wrap each user in a savepoint.
     */
    async insertMany(users: NewUser[], now: Date, actor: AuditActor): Promise<InsertOutcome[]> {
      if (users.length === 0) return [];
      const input = users.map((u, n) => ({
        n,
        id: u.id,
        lower_name: u.write.userName.toLowerCase(),
        user_name: u.write.userName,
        external_id: u.write.externalId,
        active: u.write.active,
        data: u.write.data,
        password_hash: u.passwordHash ?? null,
        changes: u.auditChanges,
      }));
      const rows = await preparedRaw<InsertedRow>(db, INSERT_MANY_SQL, [
        JSON.stringify(input), orgId, now, actor.subject, actor.role, actor.requestId,
      ]);
      // A concurrent transaction can take an externalId between our check and our insert: the
      // insert then skips the user, and the name claimed for it is given back.
      const orphans = rows.filter((r) => r.claimed && r.id === null).map((r) => users[r.n].id);
      if (orphans.length) await db('user_names').where('org_id', orgId).whereIn('user_id', orphans).delete();
      return rows.map((r): InsertOutcome => {
        if (r.id !== null) {
          const { n: _n, claimed: _c, external_id_free: _f, ...row } = r;
          return { user: toUser(row as UserRow) };
        }
        return { taken: r.external_id_free && r.claimed === false ? 'userName' : 'externalId' };
      });
    },

    async update(current: User, write: UserWrite, now: Date): Promise<User> {
      if (current.userName.toLowerCase() !== write.userName.toLowerCase()) {
        await claimUserName(db, write.userName, orgId, current.id);
        await db('user_names').where({ lower_name: current.userName.toLowerCase(), org_id: orgId, user_id: current.id }).delete();
      }
      const [row] = await db('users')
        .where({ org_id: orgId, id: current.id })
        .update({
          user_name: write.userName,
          external_id: write.externalId,
          active: write.active,
          data: JSON.stringify(write.data),
          version: db.raw('version + 1'),
          modified_at: now,
        })
        .returning(COLUMNS);
      return toUser(row as UserRow);
    },

    async setPasswordHash(id: string, hash: string, now: Date): Promise<void> {
      await db('users').where({ org_id: orgId, id }).update({ password_hash: hash, password_changed_at: now });
    },

    /** Deletes the user (memberships go with it by cascade); false when there was none. */
    async delete(id: string): Promise<boolean> {
      if (!isUuid(id)) return false;
      const [row] = await users().where('users.id', id).delete().returning(['user_name']);
      if (!row) return false;
      await db('user_names').where({ lower_name: row.user_name.toLowerCase(), org_id: orgId }).delete();
      return true;
    },

    /**
     * Users who are members of no group and have been so since before `cutoff` (purge, §3.6), in
     * keyset order after `after` (the `key` of the previous page's last row).
     */
    async ungroupedBefore(cutoff: Date, limit: number, after?: string): Promise<UngroupedUser[]> {
      const query = users()
        .where('users.ungrouped_since', '<', cutoff)
        .whereNotExists(db('memberships as m').whereRaw('m.org_id = users.org_id and m.user_id = users.id').select(db.raw('1')))
        .orderBy([{ column: 'users.ungrouped_since' }, { column: 'users.id' }])
        .limit(limit)
        // The key is text so microseconds survive the round trip through a JS Date.
        .select(...COLUMNS.map((c) => `users.${c}`), 'users.ungrouped_since', db.raw(`users.ungrouped_since::text || ' ' || users.id::text as key`));
      if (after !== undefined) {
        const [since, id] = [after.slice(0, after.lastIndexOf(' ')), after.slice(after.lastIndexOf(' ') + 1)];
        query.whereRaw('(users.ungrouped_since, users.id) > (?::timestamptz, ?::uuid)', [since, id]);
      }
      return ((await query) as UngroupedRow[]).map(toUngroupedUser);
    },

    /**
     * Deletes those of `ids` that are still ungrouped since before `cutoff`, checked again in the
     * deleting statement itself: a user granted a group meanwhile is kept. Returns the deleted rows.
     */
    async deleteUngrouped(ids: string[], cutoff: Date): Promise<UngroupedUser[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      const result = await db.raw(
        `delete from users where org_id = ? and id = any(?::uuid[]) and ungrouped_since < ?
           and not exists (select 1 from memberships m where m.org_id = users.org_id and m.user_id = users.id)
         returning ${COLUMNS.join(', ')}, ungrouped_since, ungrouped_since::text || ' ' || id::text as key`,
        [orgId, valid, cutoff],
      );
      const rows = result.rows as UngroupedRow[];
      if (rows.length) await db('user_names').where('org_id', orgId).whereIn('lower_name', rows.map((r) => r.user_name.toLowerCase())).delete();
      return rows.map(toUngroupedUser);
    },
  };
}

interface UngroupedRow extends UserRow {
  ungrouped_since: Date;
  key: string;
}

/** A user who is a member of no group, and since when (purge, SPEC §3.6). */
export interface UngroupedUser extends User {
  ungroupedSince: Date;
  /** Opaque keyset position for {@link UsersStore.ungroupedBefore}. */
  key: string;
}

const toUngroupedUser = (row: UngroupedRow): UngroupedUser => ({ ...toUser(row), ungroupedSince: new Date(row.ungrouped_since), key: row.key });

export type UsersStore = ReturnType<typeof usersStore>;
