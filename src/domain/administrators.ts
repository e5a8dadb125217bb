import crypto from 'node:crypto';
import { Conflict, invalid, notFound } from '../model/outcomes.ts';
import { type AdminRow, type DeclarationRow, type SignerTitle } from '../store/admin-declarations-store.ts';

export type { AdminRow } from '../store/admin-declarations-store.ts';
import type { Group } from '../model/group.ts';
import type { OrganisationType } from './organisations.ts';
import { ADMIN_SERVICE } from '../model/catalog.ts';
import { changeMembership } from './groups-service.ts';
import { audit, inTransaction, storesFor, type TenantRequest } from './tenant-request.ts';

/**
 * Admins and their declarations (SPEC §3.5). An admin is a member of the organisation's
 * behorighetsadministrator group; only the operator API adds or removes that membership, and
 * adding it stores the signed declaration ("försäkran") in the same transaction. The membership
 * goes through the same code as SCIM, which refuses the group to every SCIM request.
 */

export interface DeclarationInput {
  userId: string;
  reference: string;
  signedBy: string;
  signedByTitle: SignerTitle;
  /** YYYY-MM-DD */
  signedAt: string;
}

/** Who signs the declaration for each kind of organisation. */
const SIGNER_TITLE: Record<OrganisationType, SignerTitle> = { school: 'rektor', municipality: 'forvaltningschef' };

const FIELDS = ['userId', 'reference', 'signedBy', 'signedByTitle', 'signedAt'];
const MAX_TEXT = 200;

/** Parses a grant body; `today` (YYYY-MM-DD, Swedish time) bounds signedAt. */
export function parseDeclaration(body: unknown, orgType: OrganisationType, today: string): DeclarationInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!FIELDS.includes(key)) throw invalid(`unknown attribute "${key}"`, 'invalidSyntax');
  }
  const text = (key: string): string => {
    const value = input[key];
    if (typeof value !== 'string' || value.trim() === '') throw invalid(`${key} is required`, 'invalidValue');
    if (value.length > MAX_TEXT) throw invalid(`${key} is longer than ${MAX_TEXT} characters`, 'invalidValue');
    return value.trim();
  };
  const userId = text('userId');
  const reference = text('reference');
  const signedBy = text('signedBy');
  const title = text('signedByTitle').toLowerCase();
  const expected = SIGNER_TITLE[orgType];
  if (title !== expected) {
    const who = orgType === 'school' ? 'a school is signed by its rektor' : 'a municipality is signed by its förvaltningschef';
    throw invalid(`signedByTitle must be "${expected}": the declaration of ${who}`, 'invalidValue');
  }
  const signedAt = text('signedAt');
  if (!isCalendarDate(signedAt)) throw invalid(`signedAt must be a date written YYYY-MM-DD, got "${signedAt}"`, 'invalidValue');
  if (signedAt > today) throw invalid(`signedAt ${signedAt} is in the future`, 'invalidValue');
  return { userId, reference, signedBy, signedByTitle: expected, signedAt };
}

function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Today's date in Sweden: a declaration signed this morning is not "in the future" at 00:30. */
export function swedishDate(now: Date): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

async function adminGroup(req: TenantRequest): Promise<Group> {
  const group = await storesFor(req).groups.byServiceCode(ADMIN_SERVICE);
  // Every organisation gets the group at creation (SPEC §3.2); its absence is a broken catalog.
  if (!group) throw new Error(`organisation ${req.org.id} has no ${ADMIN_SERVICE} group`);
  return group;
}

const viaAdminApi = { viaAdminApi: true };

/** Adds the user to the admin group and stores the declaration, together or not at all. */
export async function grantAdmin(req: TenantRequest, input: DeclarationInput): Promise<AdminRow> {
  return inTransaction(req, async (tx) => {
    const { users, groups } = storesFor(tx);
    const group = await adminGroup(tx);
    // Grants in one organisation serialise on the group row, so the check below stays true.
    await groups.lock(group.id);
    const user = await users.find(input.userId);
    if (!user) throw notFound(`no User ${input.userId} in organisation ${tx.org.id}`);
    if (await groups.isMember(group.id, user.id)) throw new Conflict(`User ${user.id} (${user.userName}) is already an administrator`, 'uniqueness');

    const declaration = await storesFor(tx).declarations.insert({ ...input, id: crypto.randomUUID(), grantedBy: tx.principal.subject }, tx.now);
    await changeMembership(tx, group.id, { add: [user.id], remove: [], removeAll: false }, undefined, viaAdminApi);
    await audit(tx, {
      action: 'admin.grant',
      resourceType: 'User',
      resourceId: user.id,
      changes: {
        declaration: { after: declaration.id },
        reference: { after: declaration.reference },
        signedBy: { after: declaration.signed_by },
        signedByTitle: { after: declaration.signed_by_title },
        signedAt: { after: declaration.signed_at },
      },
    });
    return { user_id: user.id, user_name: user.userName, declaration };
  });
}

/** Removes the user from the admin group; the declaration is kept, marked revoked. */
export async function revokeAdmin(req: TenantRequest, userId: string): Promise<void> {
  await inTransaction(req, async (tx) => {
    const { groups } = storesFor(tx);
    const group = await adminGroup(tx);
    await groups.lock(group.id);
    if (!(await groups.isMember(group.id, userId))) throw notFound(`User ${userId} is not an administrator of organisation ${tx.org.id}`);
    await changeMembership(tx, group.id, { add: [], remove: [userId], removeAll: false }, undefined, viaAdminApi);
    const declaration = await storesFor(tx).declarations.revoke(userId, tx.principal.subject, tx.now);
    await audit(tx, {
      action: 'admin.revoke',
      resourceType: 'User',
      resourceId: userId,
      changes: { declaration: { before: declaration?.id ?? null, after: null } },
    });
  });
}

export async function listAdmins(req: TenantRequest): Promise<AdminRow[]> {
  return storesFor(req).declarations.admins((await adminGroup(req)).id);
}

export async function getAdmin(req: TenantRequest, userId: string): Promise<AdminRow> {
  const [admin] = await storesFor(req).declarations.admins((await adminGroup(req)).id, userId);
  if (!admin) throw notFound(`User ${userId} is not an administrator of organisation ${req.org.id}`);
  return admin;
}

export function adminToJson(orgId: string, admin: AdminRow): Record<string, unknown> {
  const d: DeclarationRow | null = admin.declaration;
  return {
    organisationId: orgId,
    userId: admin.user_id,
    userName: admin.user_name,
    declarationId: d?.id ?? null,
    reference: d?.reference ?? null,
    signedBy: d?.signed_by ?? null,
    signedByTitle: d?.signed_by_title ?? null,
    signedAt: d?.signed_at ?? null,
    grantedBy: d?.granted_by ?? null,
    grantedAt: d ? new Date(d.granted_at).toISOString() : null,
  };
}
