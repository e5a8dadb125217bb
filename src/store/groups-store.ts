import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { isUuid } from '../model/ids.ts';
import type { Group } from '../model/group.ts';
import type { Membership } from '../model/user.ts';
import { ID_ARRAY, idList, idsFrom, idsOf } from './id-lists.ts';
import { preparedRaw } from './prepared.ts';

/** The row this store reads (groups joined with services); nothing outside store/ sees it (see toGroup). */
export interface GroupRow {
  org_id: string;
  id: string;
  service_code: string;
  display_name: string;
  version: number;
  created_at: Date;
  modified_at: Date;
  /** From the service catalog: who may change the membership ('tenant' | 'form_rule' | 'declaration'). */
  granted_by: 'tenant' | 'form_rule' | 'declaration';
  description: string;
}

const COLUMNS = [
  'groups.org_id', 'groups.id', 'groups.service_code', 'groups.display_name', 'groups.version',
  'groups.created_at', 'groups.modified_at', 'services.granted_by', 'services.description',
];

/** The domain's Group of a row. */
export function toGroup(row: GroupRow): Group {
  return {
    orgId: row.org_id,
    id: row.id,
    serviceCode: row.service_code,
    displayName: row.display_name,
    version: row.version,
    created: new Date(row.created_at),
    modified: new Date(row.modified_at),
    grantedBy: row.granted_by,
    description: row.description,
  };
}

export const MEMBER_PAGE_SIZE = 5000;

/*
 * A membership change touches its users in the same statement (a new version, and since when
 * they are in no group, for purge, SPEC §3.6), so the ids never travel to PostgreSQL twice. Every
 * part of one statement sees the memberships as they were before it: an added user is in a group
 * now; a removed one is in a group if it is in another one.
 * Bindings, TOUCH_ADDED: now, org_id. TOUCH_REMOVED: now, group_id, now, org_id.
 */
const TOUCH_ADDED = `update users set version = version + 1, modified_at = ?, ungrouped_since = null
  where org_id = ? and id in (select user_id from added)`;
const TOUCH_REMOVED = `update users set version = version + 1, modified_at = ?,
    ungrouped_since = case when exists (select 1 from memberships m where m.org_id = users.org_id and m.user_id = users.id and m.group_id <> ?)
                           then null else coalesce(ungrouped_since, ?) end
  where org_id = ? and id in (select user_id from gone)`;

/**
 * The memberships of a page of users, one (org_id, user_id) index probe per user. Written as a
 * LATERAL subquery behind OFFSET 0 because, left to itself, the planner may read the whole of a
 * big group's membership index and filter it by the ids instead — 100 ms for a page of 1,000
 * users of a 100,000-member group, where the probes take a few.
 */
const MEMBERSHIPS_OF_SQL = `
select m.user_id as "userId", m.group_id as "groupId", g.display_name as "displayName", g.service_code as "serviceCode"
from jsonb_array_elements_text(?::jsonb) as u(id)
cross join lateral (
  select m.user_id, m.group_id from memberships m where m.org_id = ?::uuid and m.user_id = u.id::uuid offset 0
) m
join groups g on g.org_id = ?::uuid and g.id = m.group_id
order by g.display_name`;

/**
 * The service groups of one organisation and their membership rows. Membership changes are deltas
 * (insert … on conflict do nothing, delete … where user_id = any): a group's other members are
 * never read to change one of them (STYLE §7).
 */
export function groupsStore(db: Knex, orgId: string) {
  const groups = () => db('groups').join('services', 'services.code', 'groups.service_code').where('groups.org_id', orgId);
  const memberships = () => db('memberships').where('memberships.org_id', orgId);

  /** Deletes the group's memberships that `condition` picks, touching their users; their ids. */
  const removing = async (groupId: string, now: Date, condition: string, bindings: string[]): Promise<string[]> => {
    const result = await db.raw(
      `with gone as (delete from memberships where org_id = ? and group_id = ? and ${condition} returning user_id),
         touched as (${TOUCH_REMOVED})
       ${idsOf('gone', 'user_id')}`,
      [orgId, groupId, ...bindings, now, groupId, now, orgId],
    );
    return idsFrom(result);
  };

  return {
    orgId,
    query: groups,
    columns: COLUMNS,

    /** One group per service, for an organisation just created (SPEC §3.2: the catalog decides which). */
    async createForServices(services: { code: string; displayName: string }[], now: Date): Promise<void> {
      if (services.length === 0) return;
      await db('groups').insert(services.map((s) => ({
        org_id: orgId,
        id: crypto.randomUUID(),
        service_code: s.code,
        display_name: s.displayName,
        created_at: now,
        modified_at: now,
      })));
    },

    async find(id: string): Promise<Group | undefined> {
      if (!isUuid(id)) return undefined;
      const row: GroupRow | undefined = await groups().where('groups.id', id).first(COLUMNS);
      return row && toGroup(row);
    },

    async all(): Promise<Group[]> {
      const rows: GroupRow[] = await groups().orderBy('services.position').select(COLUMNS);
      return rows.map(toGroup);
    },

    async byServiceCode(code: string): Promise<Group | undefined> {
      const row: GroupRow | undefined = await groups().where('groups.service_code', code).first(COLUMNS);
      return row && toGroup(row);
    },

    /** Locks the group row: membership changes and version bumps of one group serialise on it. */
    async lock(id: string): Promise<Group | undefined> {
      if (!isUuid(id)) return undefined;
      await db('groups').where({ org_id: orgId, id }).forUpdate().first('id');
      return this.find(id);
    },

    /** Locks these groups in id order: requests that lock several groups this way cannot deadlock on them. */
    async lockInOrder(ids: string[]): Promise<void> {
      const valid = [...new Set(ids.filter(isUuid))].sort();
      if (valid.length) await db('groups').where('org_id', orgId).whereIn('id', valid).orderBy('id').forUpdate().select('id');
    },

    async bumpVersion(id: string, now: Date): Promise<void> {
      await db('groups').where({ org_id: orgId, id }).update({ version: db.raw('version + 1'), modified_at: now });
    },

    /** Adds the users not yet members; returns the ids actually added. */
    async addMembers(groupId: string, userIds: string[], now: Date): Promise<string[]> {
      if (userIds.length === 0) return [];
      const result = await db.raw(
        `with added as (
           insert into memberships (org_id, group_id, user_id, created_at)
           select u.org_id, ?, u.id, ? from users u where u.org_id = ? and u.id = any(${ID_ARRAY})
           on conflict do nothing returning user_id),
         touched as (${TOUCH_ADDED})
         ${idsOf('added', 'user_id')}`,
        [groupId, now, orgId, idList(userIds), now, orgId],
      );
      return idsFrom(result);
    },

    async removeMembers(groupId: string, userIds: string[], now: Date): Promise<string[]> {
      if (userIds.length === 0) return [];
      return removing(groupId, now, `user_id = any(${ID_ARRAY})`, [idList(userIds)]);
    },

    /** Removes every member not in `keep` (PUT and replace): one statement, whatever the size. */
    async removeMembersExcept(groupId: string, keep: string[], now: Date): Promise<string[]> {
      return removing(groupId, now, `not (user_id = any(${ID_ARRAY}))`, [idList(keep)]);
    },

    async removeAllMembers(groupId: string, now: Date): Promise<string[]> {
      return removing(groupId, now, 'true', []);
    },

    async isMember(groupId: string, userId: string): Promise<boolean> {
      if (!isUuid(userId)) return false;
      return Boolean(await memberships().where({ group_id: groupId, user_id: userId }).first('user_id'));
    },

    /**
     * The member ids of a group in pages of MEMBER_PAGE_SIZE, by keyset on the primary key, so a
     * 100,000-member group is streamed with constant memory on both databases.
     */
    async *memberIds(groupId: string): AsyncGenerator<string[]> {
      let after: string | undefined;
      for (;;) {
        const page = memberships().where('group_id', groupId).orderBy('user_id').limit(MEMBER_PAGE_SIZE).pluck('user_id');
        if (after) page.where('user_id', '>', after);
        const ids: string[] = await page;
        if (ids.length === 0) return;
        yield ids;
        if (ids.length < MEMBER_PAGE_SIZE) return;
        after = ids[ids.length - 1];
      }
    },

    /** Memberships of the given users with their groups, for the User `groups` attribute and `services`. */
    async membershipsOf(userIds: string[]): Promise<Membership[]> {
      if (userIds.length === 0) return [];
      return preparedRaw(db, MEMBERSHIPS_OF_SQL, [JSON.stringify(userIds), orgId, orgId]);
    },
  };
}

export type GroupsStore = ReturnType<typeof groupsStore>;
