import type { ChangeEntry, EventType, Receiver } from '../model/receiver.ts';

const PROV = 'urn:ietf:params:scim:event:prov';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const USER_EXTENSION = 'urn:identity-manager:params:scim:schemas:extension:2.0:User';

/** Attributes whose values never leave the server (SPEC §3.4, RFC 7643 §4.1.1 returned: never). */
const NEVER_RETURNED = new Set(['password']);

type Changes = NonNullable<ChangeEntry['changes']>;

/** The claims of one SET that are about the change (RFC 9967 §2.1–§2.4), before iss/aud/iat/jti. */
export interface ChangeEvent {
  sub_id: { format: 'scim'; uri: string; id: string; externalId?: string };
  txn: string;
  events: Record<string, Record<string, unknown>>;
}

/** The RFC 9967 event URI of a family: create/patch take notice or full, the others neither (§2.4.4–§2.4.6). */
export function eventUri(type: EventType, payload: 'notice' | 'full'): string {
  return type === 'create' || type === 'patch' ? `${PROV}:${type}:${payload}` : `${PROV}:${type}`;
}

/** Every URI the server can issue (RFC 9967 §4 eventUris). */
export const EVENT_URIS = [
  eventUri('create', 'notice'), eventUri('create', 'full'), eventUri('patch', 'notice'), eventUri('patch', 'full'),
  eventUri('delete', 'notice'), eventUri('activate', 'notice'), eventUri('deactivate', 'notice'),
];

/**
 * The event a receiver gets for one change, or undefined when it wants none of it (its event
 * types). Everything comes from the audit row written with the change, so a SET sent again is the
 * same SET, and a receiver that applies `full` events in order holds what the server held.
 *
 * - user.create → prov:create (full: the attributes the client wrote, with the id).
 * - user.update → prov:patch (full: a PatchOp replacing each changed attribute, removing each
 *   removed one; a PUT is described by its effect, as a PATCH), plus prov:activate or
 *   prov:deactivate when `active` changed, in the same SET (RFC 9967 §2.1: one state change).
 * - user.delete, user.purge → prov:delete.
 * - group.members → prov:patch of the Group (full: add and remove of `members`). The audit keeps
 *   at most 1,000 ids each way; a larger change goes out as a notice, and the receiver reads the
 *   group (RFC 9967 §5 recommends notices for large groups).
 * - credentials.issue, credentials.status → prov:patch of the User's credentialStatus.
 */
export function changeEvent(entry: ChangeEntry, receiver: Pick<Receiver, 'eventTypes' | 'payload'>): ChangeEvent | undefined {
  const wanted = (type: EventType) => receiver.eventTypes === null || receiver.eventTypes.includes(type);
  const changes: Changes = entry.changes ?? {};
  const full = receiver.payload === 'full';
  const isGroup = entry.resourceType === 'Group';
  const sub: ChangeEvent['sub_id'] = { format: 'scim', uri: `/${isGroup ? 'Groups' : 'Users'}/${entry.resourceId}`, id: entry.resourceId };
  const externalId = changes.externalId?.after ?? changes.externalId?.before;
  if (typeof externalId === 'string') sub.externalId = externalId;
  const events: ChangeEvent['events'] = {};

  switch (entry.action) {
    case 'user.create':
      if (wanted('create')) {
        events[eventUri('create', receiver.payload)] = full ? { data: createdUser(entry.resourceId, changes) } : { attributes: ['id', ...Object.keys(changes).sort()] };
      }
      break;
    case 'user.update': {
      const names = Object.keys(changes).sort();
      if (wanted('patch') && names.length) {
        events[eventUri('patch', receiver.payload)] = full ? { data: patchOf(changes) } : { attributes: names };
      }
      const active = changes.active?.after;
      if (active === true && wanted('activate')) events[eventUri('activate', 'notice')] = {};
      if (active === false && wanted('deactivate')) events[eventUri('deactivate', 'notice')] = {};
      break;
    }
    case 'user.delete':
    case 'user.purge':
      if (wanted('delete')) events[eventUri('delete', 'notice')] = {};
      break;
    case 'group.members':
      if (wanted('patch')) events[membersEventUri(changes, receiver.payload)] = membersEvent(changes, receiver.payload);
      break;
    case 'credentials.issue':
    case 'credentials.status': {
      const status = changes.credentialStatus?.after;
      const path = `${USER_EXTENSION}:credentialStatus`;
      if (wanted('patch') && typeof status === 'string') {
        events[eventUri('patch', receiver.payload)] = full
          ? { data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path, value: status }] } }
          : { attributes: [path] };
      }
      break;
    }
    default:
      return undefined;
  }
  if (Object.keys(events).length === 0) return undefined;
  return { sub_id: sub, txn: entry.txn, events };
}

function createdUser(id: string, changes: Changes): Record<string, unknown> {
  const data: Record<string, unknown> = { schemas: [USER_SCHEMA], id };
  for (const [name, change] of Object.entries(changes)) {
    if (!NEVER_RETURNED.has(name) && change.after !== undefined) data[name] = change.after;
  }
  data.meta = { resourceType: 'User', location: `/Users/${id}` };
  return data;
}

/** RFC 7644 §3.5.2: the change as a PatchOp on whole top-level attributes. */
function patchOf(changes: Changes): Record<string, unknown> {
  const operations: Record<string, unknown>[] = [];
  for (const [name, change] of Object.entries(changes)) {
    if (NEVER_RETURNED.has(name)) continue;
    if (change.after === undefined) operations.push({ op: 'remove', path: name });
    else operations.push({ op: 'replace', path: name, value: change.after });
  }
  return { schemas: [PATCH_OP], Operations: operations };
}

interface MembersChange {
  added: string[];
  removed: string[];
  addedCount: number;
  removedCount: number;
}

function membersOf(changes: Changes): MembersChange {
  const members = (changes.members ?? {}) as unknown as Partial<MembersChange>;
  const added = members.added ?? [];
  const removed = members.removed ?? [];
  return { added, removed, addedCount: members.addedCount ?? added.length, removedCount: members.removedCount ?? removed.length };
}

function complete(m: MembersChange): boolean {
  return m.added.length === m.addedCount && m.removed.length === m.removedCount;
}

function membersEventUri(changes: Changes, payload: 'notice' | 'full'): string {
  return eventUri('patch', payload === 'full' && complete(membersOf(changes)) ? 'full' : 'notice');
}

function membersEvent(changes: Changes, payload: 'notice' | 'full'): Record<string, unknown> {
  const m = membersOf(changes);
  if (payload === 'notice' || !complete(m)) return { attributes: ['members'] };
  const operations: Record<string, unknown>[] = [];
  if (m.added.length) operations.push({ op: 'add', path: 'members', value: m.added.map((value) => ({ value, $ref: `/Users/${value}` })) });
  for (const value of m.removed) operations.push({ op: 'remove', path: `members[value eq "${value}"]` });
  return { data: { schemas: [PATCH_OP], Operations: operations } };
}
