import { isObject, type CanonicalResource } from '../scim/resource-input.ts';
import { invalid, notFound } from '../model/outcomes.ts';
import { isUuid } from '../model/ids.ts';
import type { Group } from '../model/group.ts';
import type { Membership, User } from '../model/user.ts';
import type { AuditRecord } from '../model/audit.ts';
import { listResources } from './listing.ts';
import { createUser, getUser, modifyUser, type StoredUser } from './users-service.ts';
import { changeMembership } from './groups-service.ts';
import { mayChangeMembership, type Decision } from './policy.ts';
import { inTransaction, storesFor, type TenantRequest } from './tenant-request.ts';
import { organisationAuditPage } from './audit.ts';

/**
 * What a permission administrator does to the organisation's users through the web pages (SPEC
 * §6.5): each is the SCIM operation it stands for, under the same rules (users-service,
 * groups-service, policy), put together as one form needs it. A form that changes several things
 * does so in one transaction, so a refusal leaves nothing of it.
 */

export type UserStatus = 'aktiv' | 'avslut-begart' | 'inaktiv';

export interface UserSummary {
  user: User;
  memberships: Membership[];
  status: UserStatus;
  /** When the termination request was opened, while one is open. */
  terminationOpenedAt?: Date;
}

export const USER_SORTS = ['userName', 'name.familyName', 'name.givenName', 'meta.created'] as const;
export type UserSort = (typeof USER_SORTS)[number];

export interface UserQuery {
  search: string;
  sort: UserSort;
  descending: boolean;
  page: number;
  pageSize: number;
}

/** Search terms beyond this many are ignored: each costs four comparisons of the filter bound (SPEC §5.4). */
const MAX_SEARCH_TERMS = 3;
export const MAX_SEARCH_LENGTH = 200;
const SEARCHED = ['userName', 'name.givenName', 'name.familyName', 'emails.value'];

/** A string literal of the SCIM filter grammar (RFC 7644 §3.4.2.2: JSON strings). */
const literal = (text: string): string => JSON.stringify(text);

/**
 * The search box as a SCIM filter: every word must appear in the username, a name or an e-mail
 * address, so "anna andersson" finds Anna Andersson.
 */
export function searchFilter(search: string): string | undefined {
  const terms = search.trim().slice(0, MAX_SEARCH_LENGTH).split(/\s+/).filter(Boolean).slice(0, MAX_SEARCH_TERMS);
  if (terms.length === 0) return undefined;
  return terms.map((term) => `(${SEARCHED.map((attr) => `${attr} co ${literal(term)}`).join(' or ')})`).join(' and ');
}

function statusOf(user: User, terminationOpenedAt: Date | undefined): UserStatus {
  if (user.active) return 'aktiv';
  return terminationOpenedAt ? 'avslut-begart' : 'inaktiv';
}

/** One page of the organisation's users, filtered, sorted and paged in PostgreSQL. */
export async function listUsers(req: TenantRequest, query: UserQuery): Promise<{ users: UserSummary[]; total: number }> {
  const listing = await listResources(req, 'User', {
    filter: searchFilter(query.search),
    sortBy: query.sort,
    sortOrder: query.descending ? 'descending' : 'ascending',
    startIndex: (query.page - 1) * query.pageSize + 1,
    count: query.pageSize,
  }, 0);
  const users = listing.rows as (User & { memberships?: Membership[] })[];
  const open = await storesFor(req).terminations.openFor(users.map((u) => u.id));
  return {
    total: listing.total,
    users: users.map(({ memberships, ...user }) => ({ user, memberships: memberships ?? [], status: statusOf(user, open.get(user.id)), terminationOpenedAt: open.get(user.id) })),
  };
}

export interface UserOverview extends UserSummary {
  stored: StoredUser;
  /** The newest events about the user, newest first. */
  history: AuditRecord[];
}

const HISTORY_LENGTH = 25;

export async function userOverview(req: TenantRequest, id: string): Promise<UserOverview> {
  if (!isUuid(id)) throw notFound(`no User ${id}`);
  const stored = await getUser(req, id);
  const open = await storesFor(req).terminations.openFor([id]);
  const history = await organisationAuditPage(req.repos, req.org.id, { resourceId: id }, undefined, HISTORY_LENGTH);
  return { stored, user: stored.row, memberships: stored.memberships, status: statusOf(stored.row, open.get(id)), terminationOpenedAt: open.get(id), history: history.events };
}

/** A service of the organisation and whether this principal may grant or remove it, with the rule's reason when not. */
export interface ServiceChoice {
  group: Group;
  decision: Decision;
}

export async function serviceChoices(req: TenantRequest): Promise<ServiceChoice[]> {
  const groups = await storesFor(req).groups.all();
  return groups.map((group) => ({ group, decision: mayChangeMembership(req.principal, group, req.org) }));
}

/** The personal details the pages edit. */
export interface PersonalDetails {
  givenName: string;
  familyName: string;
  email: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkDetails(details: PersonalDetails): void {
  const missing = [!details.givenName && 'förnamn', !details.familyName && 'efternamn', !details.email && 'e-postadress'].filter(Boolean);
  if (missing.length) throw invalid(`Fyll i ${missing.join(', ')}.`, 'invalidValue');
  if (!EMAIL.test(details.email)) throw invalid(`"${details.email}" är inte en e-postadress.`, 'invalidValue');
}

/** The details written into a User: the names, and the preferred e-mail address (work, else primary, else first) replaced or added as work. */
function withDetails(current: CanonicalResource, details: PersonalDetails): CanonicalResource {
  const name = isObject(current.name) ? current.name : {};
  const emails = Array.isArray(current.emails) ? current.emails.filter(isObject).map((e) => ({ ...e })) : [];
  const preferred = emails.find((e) => e.type === 'work') ?? emails.find((e) => e.primary === true) ?? emails[0];
  if (preferred) preferred.value = details.email;
  else emails.push({ value: details.email, type: 'work', primary: true });
  return { ...current, name: { ...name, givenName: details.givenName, familyName: details.familyName }, emails };
}

/**
 * A new user with the services ticked (SPEC §6.5 "Lägg till användare"): the POST /Users and the
 * membership additions of the same rules, in one transaction. A refused service, or a grant that
 * cannot be made, leaves no user behind.
 */
export async function createUserWithServices(req: TenantRequest, userName: string, details: PersonalDetails, groupIds: string[]): Promise<StoredUser> {
  checkDetails(details);
  const known = new Set((await serviceChoices(req)).map((c) => c.group.id));
  const unknown = groupIds.find((g) => !known.has(g));
  if (unknown) throw invalid(`Tjänsten ${unknown} finns inte i organisationen.`, 'invalidValue');
  return inTransaction(req, async (tx) => {
    const created = await createUser(tx, withDetails({ userName, active: true }, details));
    for (const groupId of groupIds) {
      await changeMembership(tx, groupId, { add: [created.row.id], remove: [], removeAll: false });
    }
    return groupIds.length ? getUser(tx, created.row.id) : created;
  });
}

export async function changeDetails(req: TenantRequest, id: string, details: PersonalDetails): Promise<StoredUser> {
  checkDetails(details);
  return modifyUser(req, id, (current) => withDetails(current, details));
}

/**
 * Makes the user's services those of `wanted`, among the services this principal may change: a
 * service it may not change is neither given nor taken by the form (its checkbox is disabled), and
 * one named anyway is refused by the rule. All in one transaction.
 */
export async function changeServices(req: TenantRequest, id: string, wanted: string[]): Promise<StoredUser> {
  return inTransaction(req, async (tx) => {
    const current = await getUser(tx, id);
    const held = new Set(current.memberships.map((m) => m.groupId));
    const choices = await serviceChoices(tx);
    const known = new Set(choices.map((c) => c.group.id));
    const unknown = wanted.find((g) => !known.has(g));
    if (unknown) throw invalid(`Tjänsten ${unknown} finns inte i organisationen.`, 'invalidValue');
    for (const { group, decision } of choices) {
      const want = wanted.includes(group.id);
      if (want === held.has(group.id) || (!decision.allowed && !want)) continue;
      await changeMembership(tx, group.id, { add: want ? [id] : [], remove: want ? [] : [id], removeAll: false });
    }
    return getUser(tx, id);
  });
}

/**
 * SPEC §3.3: only CSN ends a user. Deactivating asks CSN to (a termination request is opened);
 * activating again while it is open takes the request back.
 */
export function setActive(req: TenantRequest, id: string, active: boolean): Promise<StoredUser> {
  return modifyUser(req, id, (current) => ({ ...current, active }));
}
