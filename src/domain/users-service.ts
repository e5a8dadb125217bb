import crypto from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { isObject, type CanonicalResource } from '../scim/resource-input.ts';
import { Conflict, invalid, notFound } from '../model/outcomes.ts';
import { isClientFailure, type ClientFailure } from './failures.ts';
import { etagOf } from '../scim/render.ts';
import type { NewUser, UserWrite } from '../store/users-store.ts';
import type { Membership, User } from '../model/user.ts';
import { mayDeleteUser, mayWritePassword, refused } from './policy.ts';
import { hashPassword } from './password-hash.ts';
import { ADMIN_SERVICE } from '../model/catalog.ts';
import { describePasswordProblems, passwordProblems } from './password-policy.ts';
import { checkIfMatch } from './versioning.ts';
import { actorOf, audit, inTransaction, storesFor, type TenantRequest } from './tenant-request.ts';
import { diffResources } from './diff.ts';
import { userLifecycle } from './user-lifecycle.ts';
import { resourceValidator } from '../scim/validation.ts';
import { ENTERPRISE_USER, schemaRegistry } from '../scim/schema-registry.ts';

export interface StoredUser {
  row: User;
  memberships: Membership[];
}

export const MAX_USERNAME_LENGTH = 256;

/** The resource as a client wrote it, rebuilt from the row (no derived values, no meta). */
export function canonicalOf(row: User): CanonicalResource {
  const resource: CanonicalResource = { userName: row.userName };
  if (row.externalId !== null) resource.externalId = row.externalId;
  Object.assign(resource, row.data);
  resource.active = row.active;
  return resource;
}

/** Splits a canonical User into the stored columns and the password, which is hashed apart. */
function toWrite(resource: CanonicalResource, current?: User): { write: UserWrite; password?: string } {
  resourceValidator(schemaRegistry()).check('User', resource);
  const { userName, externalId, active, password, groups: _groups, ...data } = resource;
  if (typeof userName !== 'string' || userName.trim() === '') throw invalid('userName is required', 'invalidValue');
  if (userName.length > MAX_USERNAME_LENGTH) throw invalid(`userName is longer than ${MAX_USERNAME_LENGTH} characters`, 'invalidValue');
  return {
    write: {
      userName,
      externalId: typeof externalId === 'string' ? externalId : null,
      // RFC 7644 §3.5.1 would make an omitted `active` unassigned; we keep the current state rather
      // than activate or deactivate someone because a client left the attribute out.
      active: typeof active === 'boolean' ? active : (current?.active ?? true),
      data,
    },
    password: typeof password === 'string' ? password : undefined,
  };
}

/** The enterprise extension's manager.value (RFC 7643 §4.3: the id of the manager's User). */
function managerOf(resource: CanonicalResource | UserWrite['data']): string | undefined {
  const enterprise = resource[ENTERPRISE_USER];
  const manager = isObject(enterprise) ? enterprise.manager : undefined;
  return isObject(manager) && typeof manager.value === 'string' ? manager.value : undefined;
}

/**
 * SPEC §4: a manager is a user of the same organisation. One of another organisation is refused
 * exactly like one that does not exist. Returns the refusal for each of `managers` that names no
 * user of the organisation (undefined for those that do, or are not given).
 */
async function unknownManagers(req: TenantRequest, managers: (string | undefined)[]): Promise<(ClientFailure | undefined)[]> {
  const named = [...new Set(managers.filter((m): m is string => m !== undefined))];
  if (named.length === 0) return managers.map(() => undefined);
  // Ids are UUIDs, stored in lower case; a client may write them in either.
  const known = await storesFor(req).users.existing(named.map((m) => m.toLowerCase()));
  return managers.map((m) => (m === undefined || known.has(m.toLowerCase()) ? undefined : invalid(`manager.value "${m}" is not a User of this organisation`, 'invalidValue')));
}

async function withMemberships(req: TenantRequest, row: User): Promise<StoredUser> {
  return { row, memberships: await storesFor(req).groups.membershipsOf([row.id]) };
}

export async function getUser(req: TenantRequest, id: string): Promise<StoredUser> {
  const found = await storesFor(req).users.findWithMemberships(id);
  if (!found) throw notFound(`no User ${id}`);
  const { memberships, ...row } = found;
  return { row, memberships };
}

/**
 * SPEC §3.4: who may write a password, and the one policy every password must meet. `userId` is
 * the user written to; a user being created is a member of nothing, so never an admin.
 */
async function checkPassword(req: TenantRequest, password: string | undefined, userName: string, userId?: string): Promise<string | undefined> {
  if (password === undefined) return undefined;
  const isAdmin = userId !== undefined && (await storesFor(req).credentials.isMemberOfService(userId, ADMIN_SERVICE));
  const refusal = refused(mayWritePassword(req.principal, { isAdmin }));
  if (refusal) throw refusal;
  const problems = passwordProblems(password, userName);
  if (problems.length) throw invalid(describePasswordProblems(problems), 'invalidValue');
  return hashPassword(password);
}

export async function createUser(req: TenantRequest, resource: CanonicalResource): Promise<StoredUser> {
  const [outcome] = await createUsers(req, [resource]);
  if (isClientFailure(outcome)) throw outcome;
  return outcome;
}

/**
 * Creates users, each under the rules of a single POST /Users, with one statement for all of
 * them: Bulk and import send many at once. The outcome of each is in input order, a refused
 * one as its error; a refusal leaves nothing of that user and takes nothing from the others.
 */
export async function createUsers(req: TenantRequest, resources: CanonicalResource[]): Promise<(StoredUser | ClientFailure)[]> {
  const outcomes: (StoredUser | ClientFailure)[] = new Array(resources.length);
  const refuse = (index: number, err: unknown) => {
    if (!isClientFailure(err)) throw err;
    outcomes[index] = err;
  };
  const written: { index: number; resource: CanonicalResource; write: UserWrite; password?: string }[] = [];
  for (const [index, resource] of resources.entries()) {
    try {
      written.push({ index, resource, ...toWrite(resource) });
    } catch (err) {
      refuse(index, err);
    }
  }
  const managerRefusals = await unknownManagers(req, written.map((w) => managerOf(w.write.data)));
  const accepted: { index: number; user: NewUser }[] = [];
  await Promise.all(written.map(async ({ index, resource, write, password }, i) => {
    try {
      if (managerRefusals[i]) throw managerRefusals[i];
      const passwordHash = await checkPassword(req, password, write.userName);
      accepted.push({ index, user: { id: crypto.randomUUID(), write, passwordHash, auditChanges: diffResources({}, { ...resource, active: write.active }) } });
    } catch (err) {
      refuse(index, err);
    }
  }));
  accepted.sort((a, b) => a.index - b.index);
  if (accepted.length === 0) return outcomes;
  const inserted = await storesFor(req).users.insertMany(accepted.map((a) => a.user), req.now, actorOf(req));
  for (const [i, outcome] of inserted.entries()) {
    const { index, user } = accepted[i];
    // Nothing follows from a creation itself (userLifecycle acts on changes to an existing user
    // and on grants), which is what lets this be one statement outside a transaction.
    if ('user' in outcome) {
      outcomes[index] = { row: outcome.user, memberships: [] };
    } else {
      outcomes[index] = outcome.taken === 'userName'
        ? new Conflict(`userName "${user.write.userName}" is already taken`, 'uniqueness')
        : new Conflict(`externalId "${user.write.externalId}" is already used in this organisation`, 'uniqueness');
    }
  }
  return outcomes;
}

export async function replaceUser(req: TenantRequest, id: string, resource: CanonicalResource, ifMatch?: string): Promise<StoredUser> {
  return inTransaction(req, async (tx) => {
    const { users } = storesFor(tx);
    const current = await users.findForUpdate(id);
    if (!current) throw notFound(`no User ${id}`);
    checkIfMatch(ifMatch, etagOf(current.version));
    return writeUser(tx, current, resource);
  });
}

/** Applies `change` to the user's current resource under a row lock, then stores the result. */
export async function modifyUser(req: TenantRequest, id: string, change: (current: CanonicalResource) => CanonicalResource, ifMatch?: string): Promise<StoredUser> {
  return inTransaction(req, async (tx) => {
    const current = await storesFor(tx).users.findForUpdate(id);
    if (!current) throw notFound(`no User ${id}`);
    checkIfMatch(ifMatch, etagOf(current.version));
    return writeUser(tx, current, change(canonicalOf(current)));
  });
}

async function writeUser(tx: TenantRequest, current: User, resource: CanonicalResource): Promise<StoredUser> {
  const { users } = storesFor(tx);
  const { write, password } = toWrite(resource, current);
  const before = canonicalOf(current);
  // RFC 7644 §3.5.2.1: a value already present changes nothing, and such an operation "SHALL NOT
  // change the modify timestamp of the resource": no write, no new version, no audit event.
  // (A password is stored only as a hash, so writing one is always a change.)
  const after = canonicalOf({ ...current, userName: write.userName, externalId: write.externalId, active: write.active, data: write.data });
  if (password === undefined && isDeepStrictEqual(before, after)) return withMemberships(tx, current);
  const manager = managerOf(write.data);
  if (manager !== managerOf(before)) {
    const [refused] = await unknownManagers(tx, [manager]);
    if (refused) throw refused;
  }
  const passwordHash = await checkPassword(tx, password, write.userName, current.id);
  const row = await users.update(current, write, tx.now);
  if (passwordHash) await users.setPasswordHash(row.id, passwordHash, tx.now);
  const changes = diffResources(before, { ...canonicalOf(row), ...(password !== undefined ? { password } : {}) });
  await audit(tx, { action: 'user.update', resourceType: 'User', resourceId: row.id, changes });
  await userLifecycle.afterWrite(tx, current, row, { passwordSet: passwordHash !== undefined });
  return withMemberships(tx, row);
}

export async function deleteUser(req: TenantRequest, id: string, ifMatch?: string): Promise<void> {
  await inTransaction(req, async (tx) => {
    const { users } = storesFor(tx);
    const current = await users.findForUpdate(id);
    if (!current) throw notFound(`no User ${id}`);
    const refusal = refused(mayDeleteUser(tx.principal));
    if (refusal) throw refusal;
    checkIfMatch(ifMatch, etagOf(current.version));
    await users.delete(id);
    await audit(tx, { action: 'user.delete', resourceType: 'User', resourceId: id, changes: diffResources(canonicalOf(current), {}) });
  });
}
