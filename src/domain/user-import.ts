import { isDeepStrictEqual } from 'node:util';
import { Conflict, invalid } from '../model/outcomes.ts';
import type { DescribeFailure } from './failures.ts';
import { isTransient } from '../store/repositories.ts';
import { canonicaliseResource, isObject, type CanonicalResource } from '../scim/resource-input.ts';
import { CORE_USER, schemaRegistry } from '../scim/schema-registry.ts';
import type { Group } from '../model/group.ts';
import type { User } from '../model/user.ts';
import { canonicalOf, createUser, modifyUser } from './users-service.ts';
import { changeMembership } from './groups-service.ts';
import { preferredEmail } from './emails.ts';
import { storesFor, type TenantRequest } from './tenant-request.ts';

/**
 * Users from a CSV file (SPEC §6.4 `idm import`), a batch of rows at a time. Each row creates or
 * updates one user, matched by userName case-insensitively within the organisation, and grants
 * the services it names, through the same domain code as SCIM (createUser / modifyUser /
 * changeMembership), so every rule of SPEC §4 applies under the acting role. A row is all or
 * nothing: a refused row leaves no user, no change and no membership behind, and never stops the
 * rows after it.
 */

export const IMPORT_MAX_ROWS = 1000;

/**
 * Whose rules the rows are written under. `operator` (the default) is the CLI's own role: a
 * form-only Studeranderapportering is granted (the operator holds the paper form), and
 * deactivating a user opens no termination request. `provisioner` applies the rules a school's
 * own provisioning client meets. The behörighetsadministratör group is refused under both: it
 * needs a declaration (`idm admin grant`).
 */
export const IMPORT_RULES = ['operator', 'provisioner'] as const;
export type ImportRules = (typeof IMPORT_RULES)[number];

/** One CSV row as the CLI read it: cells as text, empty cells left out. */
export interface ImportRow {
  /** The row's line number in the file, echoed in the result. */
  line: number;
  userName?: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  externalId?: string;
  active?: string;
  /** Service codes or display names, case-insensitively. */
  services?: string[];
}

export interface ImportRequest {
  rules: ImportRules;
  rows: ImportRow[];
}

export type ImportOutcome = 'created' | 'updated' | 'unchanged' | 'refused';

export interface ImportResult {
  line: number;
  userName: string;
  outcome: ImportOutcome;
  /** The user's SCIM id (not for a refused row). */
  id?: string;
  /** For a refused row: the status and detail SCIM would have answered. */
  status?: number;
  reason?: string;
}

const CELLS = ['userName', 'givenName', 'familyName', 'email', 'externalId', 'active'] as const;
const ROW_KEYS = new Set<string>(['line', ...CELLS, 'services']);

/** Parses the request body; a malformed body is refused whole (the rows' values are judged one by one later). */
export function parseImportRequest(body: unknown): ImportRequest {
  if (!isObject(body)) throw invalid('the body must be a JSON object', 'invalidSyntax');
  for (const key of Object.keys(body)) {
    if (key !== 'rules' && key !== 'rows') throw invalid(`unknown attribute "${key}"`, 'invalidSyntax');
  }
  const rules = body.rules ?? 'operator';
  if (!(IMPORT_RULES as readonly unknown[]).includes(rules)) throw invalid(`rules must be one of ${IMPORT_RULES.join(', ')}`, 'invalidValue');
  const rows = body.rows;
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > IMPORT_MAX_ROWS) {
    throw invalid(`rows must be an array of 1 to ${IMPORT_MAX_ROWS} rows`, 'invalidValue');
  }
  rows.forEach((row, i) => {
    const where = `rows[${i}]`;
    if (!isObject(row)) throw invalid(`${where} must be an object`, 'invalidSyntax');
    for (const key of Object.keys(row)) {
      if (!ROW_KEYS.has(key)) throw invalid(`${where}: unknown attribute "${key}"`, 'invalidSyntax');
    }
    if (!Number.isInteger(row.line) || (row.line as number) < 1) throw invalid(`${where}.line must be a positive whole number`, 'invalidValue');
    for (const cell of CELLS) {
      if (row[cell] !== undefined && typeof row[cell] !== 'string') throw invalid(`${where}.${cell} must be a string`, 'invalidSyntax');
    }
    if (row.services !== undefined && (!Array.isArray(row.services) || row.services.some((s) => typeof s !== 'string'))) {
      throw invalid(`${where}.services must be an array of strings`, 'invalidSyntax');
    }
  });
  return { rules: rules as ImportRules, rows: rows as ImportRow[] };
}

/** A row whose values were accepted, ready to be written. */
interface Plan {
  index: number;
  line: number;
  userName: string;
  lowerName: string;
  /** The row as a canonical partial User: only the attributes its cells set. */
  values: CanonicalResource;
  services: Group[];
  current?: User;
  grants: Group[];
}

/**
 * Imports one batch. Reads which userNames are taken and by whom (two primary-key lookups for the
 * batch) and the memberships of the users found (one query), then writes.
 *
 * Rows without a new grant are written together in one transaction, without savepoints: a
 * savepoint per row would give every row a subtransaction, and more than 64 of them in one
 * transaction slow every other session's snapshots (PostgreSQL's subxid cache overflows). When a
 * row is refused, the transaction is rolled back, the row is recorded as refused, the rows before
 * it are written again (they are very likely to succeed: they just did) and the rest go on. So a
 * good row is written at most twice, whatever the number of bad ones (unless another writer
 * changes the same users meanwhile). Should two imports deadlock on the same userNames, the
 * rolled-back rows are written one per transaction.
 *
 * A row with a grant commits on its own, because changeMembership holds the group's row lock
 * until commit (and a first grant hashes a one-time password under it): in a batch transaction it
 * would block every other change of that group for the length of the batch.
 */
export interface ImportOptions {
  /** The clock each row reads when it is written. */
  clock: () => Date;
  /** What SCIM would answer for a refused row: the edge's one mapping; undefined when it is not the row's fault. */
  describe: (err: unknown) => ReturnType<DescribeFailure> | undefined;
}

export async function importUsers(req: TenantRequest, request: ImportRequest, options: ImportOptions): Promise<ImportResult[]> {
  const { clock } = options;
  const refusalOf = (err: unknown): { status: number; reason: string } | undefined => {
    const error = options.describe(err);
    return error && { status: error.status, reason: error.message };
  };
  const results: ImportResult[] = new Array(request.rows.length);
  const catalog = await storesFor(req).groups.all();
  const plans: Plan[] = [];
  const seen = new Map<string, number>();
  request.rows.forEach((row, index) => {
    try {
      const plan = planRow(row, index, catalog);
      const earlier = seen.get(plan.lowerName);
      if (earlier !== undefined) throw invalid(`userName "${plan.userName}" appears earlier in the file (line ${earlier})`, 'uniqueness');
      seen.set(plan.lowerName, row.line);
      plans.push(plan);
    } catch (err) {
      results[index] = refused({ line: row.line, userName: row.userName?.trim() ?? '' }, refusalOf(err) ?? rethrow(err));
    }
  });

  const store = storesFor(req).userImport;
  const ours = new Map<string, string>();
  const elsewhere = new Set<string>();
  for (const entry of await store.registered(plans.map((p) => p.lowerName))) {
    if (entry.org_id === req.org.id) ours.set(entry.lower_name, entry.user_id);
    else elsewhere.add(entry.lower_name);
  }
  const users = new Map((await store.users([...ours.values()])).map((u) => [u.id, u]));
  const memberOf = new Map<string, Set<string>>();
  for (const m of await storesFor(req).groups.membershipsOf([...users.keys()])) {
    if (!memberOf.has(m.userId)) memberOf.set(m.userId, new Set());
    memberOf.get(m.userId)!.add(m.groupId);
  }

  // In the order of the file, which matters when rows touch the same values (an externalId):
  // each run of rows without a new grant is written together, each row with one alone.
  const steps: { plans: Plan[]; alone: boolean }[] = [];
  for (const plan of plans) {
    if (elsewhere.has(plan.lowerName)) {
      // The same answer as createUser's: userName is unique across the server (SPEC §3.3).
      results[plan.index] = refused(plan, refusalOf(new Conflict(`userName "${plan.userName}" is already taken`, 'uniqueness'))!);
      continue;
    }
    const id = ours.get(plan.lowerName);
    plan.current = id === undefined ? undefined : users.get(id);
    const granted = plan.current ? memberOf.get(plan.current.id) : undefined;
    plan.grants = plan.services.filter((g) => !granted?.has(g.id));
    if (plan.current && plan.grants.length === 0 && !changes(plan.current, plan.values)) {
      results[plan.index] = { line: plan.line, userName: plan.userName, outcome: 'unchanged', id: plan.current.id };
      continue;
    }
    const alone = plan.grants.length > 0;
    const last = steps[steps.length - 1];
    if (!alone && last && !last.alone) last.plans.push(plan);
    else steps.push({ plans: [plan], alone });
  }

  for (const step of steps) {
    if (step.alone) await writeAlone(req, step.plans[0], clock, refusalOf, results);
    else await writeTogether(req, step.plans, clock, refusalOf, results);
  }
  return results;
}

/** Writes `plans` in one transaction; a refused row is taken out and the others written again (see importUsers). */
async function writeTogether(req: TenantRequest, plans: Plan[], clock: () => Date, refusalOf: RefusalOf, results: ImportResult[]): Promise<void> {
  let rest = plans;
  while (rest.length) {
    const written: ImportResult[] = [];
    let failed: { at: number; error: unknown } | undefined;
    try {
      // Not retried by the repositories: a deadlock here is answered below, row by row.
      await req.repos.transaction(async (repos) => {
        for (const [at, plan] of rest.entries()) {
          try {
            written.push(await writeRow({ ...req, repos, now: clock() }, plan));
          } catch (error) {
            failed = { at, error };
            throw error;
          }
        }
      }, { retry: false });
    } catch (err) {
      if (!failed) throw err;
    }
    if (!failed) {
      written.forEach((result, i) => (results[rest[i].index] = result));
      return;
    }
    if (isTransient(failed.error)) {
      // Two imports writing the same userNames in opposite orders deadlock, and PostgreSQL rolls
      // one back. Run again together, that one would meet the other's locks again; one row per
      // transaction it holds one name at a time and cannot deadlock on them.
      for (const plan of rest) await writeAlone(req, plan, clock, refusalOf, results);
      return;
    }
    const bad = rest[failed.at];
    results[bad.index] = refused(bad, refusalOf(failed.error) ?? rethrow(failed.error));
    const before = rest.slice(0, failed.at);
    rest = rest.slice(failed.at + 1);
    await writeTogether(req, before, clock, refusalOf, results);
  }
}

/** The row's values checked as SCIM checks a POST body, and its services found among the organisation's groups. */
function planRow(row: ImportRow, index: number, catalog: Group[]): Plan {
  const userName = row.userName?.trim() ?? '';
  if (userName === '') throw invalid('userName is required', 'invalidValue');
  for (const cell of CELLS) {
    if (row[cell]?.includes('\u0000')) throw invalid(`${cell} contains a NUL character`, 'invalidValue');
  }
  const body: Record<string, unknown> = { schemas: [CORE_USER], userName };
  if (row.externalId) body.externalId = row.externalId;
  if (row.givenName || row.familyName) body.name = { givenName: row.givenName, familyName: row.familyName };
  if (row.email) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(row.email)) throw invalid(`email "${row.email}" is not an e-mail address`, 'invalidValue');
    body.emails = [{ value: row.email, type: 'work' }];
  }
  if (row.active) {
    const active = row.active.toLowerCase();
    if (active !== 'true' && active !== 'false') throw invalid(`active must be true or false, not "${row.active}"`, 'invalidValue');
    body.active = active === 'true';
  }
  const values = canonicaliseResource(schemaRegistry(), 'User', body);
  const services: Group[] = [];
  for (const wanted of row.services ?? []) {
    const key = wanted.trim().toLowerCase();
    if (key === '') continue;
    const group = catalog.find((g) => g.serviceCode === key || g.displayName.toLowerCase() === key);
    if (!group) {
      const offered = catalog.map((g) => g.serviceCode).join(', ');
      throw invalid(`service "${wanted}" is not offered to this organisation (its services: ${offered})`, 'invalidValue');
    }
    if (!services.includes(group)) services.push(group);
  }
  return { index, line: row.line, userName, lowerName: userName.toLowerCase(), values, services, grants: [] };
}

/**
 * The user's resource with the row's values applied: cells the row leaves empty keep what is
 * stored. The userName is the key the row was matched by, so its stored spelling is kept.
 */
export function mergeRow(current: CanonicalResource, values: CanonicalResource): CanonicalResource {
  const next: CanonicalResource = { ...current };
  if (values.externalId !== undefined) next.externalId = values.externalId;
  if (values.active !== undefined) next.active = values.active;
  if (values.name !== undefined) next.name = { ...(current.name as object | undefined), ...(values.name as object) };
  const email = (values.emails as { value: string }[] | undefined)?.[0]?.value;
  if (email !== undefined) next.emails = withWorkEmail(current.emails, email);
  return next;
}

/**
 * SPEC §3.4/§6.3: the `email` column is the address the user is written to (work, else primary,
 * else first). When that is already the address, nothing changes; else the work address is set
 * to it (added as the work address when there is none); other addresses are kept.
 */
function withWorkEmail(emails: unknown, email: string): unknown[] {
  const list = Array.isArray(emails) ? emails.map((e) => (isObject(e) ? { ...e } : e)) : [];
  if (preferredEmail(list)?.toLowerCase() === email.toLowerCase()) return list;
  const work = list.find((e) => isObject(e) && typeof e.type === 'string' && e.type.toLowerCase() === 'work') as Record<string, unknown> | undefined;
  if (work) {
    work.value = email;
    return list;
  }
  return [{ value: email, type: 'work' }, ...list];
}

function changes(current: User, values: CanonicalResource): boolean {
  const before = canonicalOf(current);
  return !isDeepStrictEqual(before, mergeRow(before, values));
}

async function writeRow(tx: TenantRequest, plan: Plan): Promise<ImportResult> {
  let id: string;
  let outcome: ImportOutcome;
  if (!plan.current) {
    const resource = { ...plan.values };
    if (resource.emails) resource.emails = [{ ...(resource.emails as object[])[0], primary: true }];
    id = (await createUser(tx, resource)).row.id;
    outcome = 'created';
  } else {
    id = plan.current.id;
    outcome = 'updated';
    if (changes(plan.current, plan.values)) await modifyUser(tx, id, (current) => mergeRow(current, plan.values));
  }
  for (const group of plan.grants) await changeMembership(tx, group.id, { add: [id], remove: [], removeAll: false });
  return { line: plan.line, userName: plan.userName, outcome, id };
}

function refused(row: { line: number; userName: string }, refusal: { status: number; reason: string }): ImportResult {
  return { line: row.line, userName: row.userName, outcome: 'refused', ...refusal };
}

/**
 * What SCIM would answer for this row: a refusal as the edge maps it, and a database error the row
 * caused (a concurrent write took its userName or externalId, a value that cannot be stored) as
 * SCIM would report it. Anything else is not the row's fault and fails the whole request.
 */
type RefusalOf = (err: unknown) => { status: number; reason: string } | undefined;

/** A row in a transaction of its own, run again by the repositories when PostgreSQL chose it as a deadlock victim. */
async function writeAlone(req: TenantRequest, plan: Plan, clock: () => Date, refusalOf: RefusalOf, results: ImportResult[]): Promise<void> {
  try {
    results[plan.index] = await req.repos.transaction((repos) => writeRow({ ...req, repos, now: clock() }, plan));
  } catch (err) {
    results[plan.index] = refused(plan, refusalOf(err) ?? rethrow(err));
  }
}


function rethrow(err: unknown): never {
  throw err;
}
