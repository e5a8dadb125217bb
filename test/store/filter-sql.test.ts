import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { MAX_FILTER_DEPTH, parseFilter, parseSortBy } from '../../src/scim/filter.ts';
import { ENTERPRISE_USER, IDM_GROUP, IDM_USER } from '../../src/scim/schema-registry.ts';
import { applyFilter, filterCondition, sortExpression } from '../../src/store/filter-sql.ts';
import { createRepositories } from '../../src/store/repositories.ts';
import { createOrganisation, newOrganisation, type OrganisationChanges } from '../../src/domain/organisations.ts';
import type { Db } from '../../src/store/db.ts';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';

const NOW = new Date('2026-06-01T00:00:00Z');

interface UserSeed {
  id?: string;
  userName: string;
  externalId?: string;
  active?: boolean;
  credentialStatus?: string;
  created: string;
  data: Record<string, unknown>;
}

async function insertUser(db: Db, orgId: string, seed: UserSeed): Promise<string> {
  const id = seed.id ?? crypto.randomUUID();
  await db('users').insert({
    org_id: orgId,
    id,
    user_name: seed.userName,
    external_id: seed.externalId ?? null,
    active: seed.active ?? true,
    credential_status: seed.credentialStatus ?? 'none',
    data: JSON.stringify(seed.data),
    created_at: new Date(seed.created),
    modified_at: new Date(seed.created),
  });
  return id;
}

/** An organisation with its catalog groups, made as the operator API makes one. */
function organisations(db: Db) {
  const repos = createRepositories(db);
  const acting = { principal: { role: 'operator' as const, subject: 'filter-test', orgId: undefined, jti: 'filter-test', expiresAt: 0 }, requestId: 'filter-test', now: NOW };
  return { create: (changes: OrganisationChanges, _now: Date) => createOrganisation(repos, newOrganisation(changes), acting) };
}

async function groupIds(db: Db, orgId: string): Promise<Record<string, string>> {
  const rows: { id: string; service_code: string }[] = await db('groups').where({ org_id: orgId }).select('id', 'service_code');
  return Object.fromEntries(rows.map((r) => [r.service_code, r.id]));
}

async function addMember(db: Db, orgId: string, groupId: string, userId: string): Promise<void> {
  await db('memberships').insert({ org_id: orgId, group_id: groupId, user_id: userId, created_at: NOW });
}

describe('filter → SQL', () => {
  let t: TestDb;
  let db: Db;
  let school: string;
  let municipality: string;
  const ids: Record<string, string> = {};
  let schoolGroups: Record<string, string>;
  let municipalityGroups: Record<string, string>;

  before(async () => {
    t = await createTestDb();
    db = t.db;
    const orgs = organisations(db);
    school = (await orgs.create({ name: 'Exempelgymnasiet', type: 'school', schoolForm: 'gymnasieskola' }, NOW)).id;
    municipality = (await orgs.create({ name: 'Exempel kommun', type: 'municipality' }, NOW)).id;
    schoolGroups = await groupIds(db, school);
    municipalityGroups = await groupIds(db, municipality);

    ids.alice = await insertUser(db, school, {
      userName: 'Alice.Andersson',
      externalId: 'EXT-1',
      created: '2026-01-10T00:00:00Z',
      data: {
        name: { givenName: 'Alice', familyName: 'Andersson' },
        title: 'Rektor',
        emails: [
          { value: 'alice@home.se', type: 'home' },
          { value: 'zed.alice@school.se', type: 'work', primary: true },
        ],
        [ENTERPRISE_USER]: { department: 'Admin', employeeNumber: '100' },
      },
    });
    ids.bob = await insertUser(db, school, {
      userName: 'bob',
      externalId: 'ext-1',
      active: false,
      credentialStatus: 'pending',
      created: '2026-02-10T00:00:00Z',
      data: {
        name: { givenName: 'Bob' },
        title: 'Lärare',
        emails: [{ value: 'BOB@school.se', type: 'work' }],
        [ENTERPRISE_USER]: { department: 'Teaching', manager: { value: ids.alice } },
      },
    });
    ids.carl = await insertUser(db, school, {
      userName: 'carl_100%',
      created: '2026-03-10T00:00:00.250Z',
      data: { title: '', nickName: 'C:\\temp' },
    });
    ids.asa = await insertUser(db, school, {
      userName: 'Åsa',
      created: '2026-04-10T00:00:00Z',
      data: { emails: [{ value: 'asa@x.se' }], [ENTERPRISE_USER]: { department: 'admin' } },
    });
    // Same id as Alice, in another tenant: nothing of it may leak into the school's results.
    await insertUser(db, municipality, {
      id: ids.alice,
      userName: 'alice.other',
      created: '2026-01-10T00:00:00Z',
      data: { title: 'Rektor', emails: [{ value: 'alice@school.se', type: 'work' }] },
    });
    await addMember(db, school, schoolGroups['studietider-och-utbildningar'], ids.alice);
    await addMember(db, school, schoolGroups.studeranderapportering, ids.bob);
    await addMember(db, school, schoolGroups.behorighetsadministrator, ids.bob);
    await addMember(db, municipality, municipalityGroups.studiestartsstod, ids.alice);
  });
  after(() => t.drop());

  const nameOf = (id: string) => Object.keys(ids).find((k) => ids[k] === id) ?? id;

  /** The users of an organisation the filter selects, by their test names, sorted. */
  async function users(filter: string, orgId = school): Promise<string[]> {
    const query = db('users').where('users.org_id', orgId).select('users.id');
    const rows: { id: string }[] = await applyFilter(query, 'User', parseFilter('User', filter));
    return rows.map((r) => (orgId === school ? nameOf(r.id) : r.id)).sort();
  }

  async function groups(filter: string, orgId = school): Promise<string[]> {
    const query = db('groups as g').where('g.org_id', orgId).select('g.service_code');
    const rows: { service_code: string }[] = await applyFilter(query, 'Group', parseFilter('Group', filter), 'g');
    return rows.map((r) => r.service_code).sort();
  }

  const all = ['alice', 'asa', 'bob', 'carl'];

  describe('attribute operators (RFC 7644 §3.4.2.2)', () => {
    it('eq compares case-insensitively when caseExact is false (userName)', async () => {
      assert.deepEqual(await users('userName eq "alice.andersson"'), ['alice']);
      assert.deepEqual(await users('userName eq "ÅSA"'), ['asa']);
    });

    it('eq compares exactly when caseExact is true (externalId)', async () => {
      assert.deepEqual(await users('externalId eq "EXT-1"'), ['alice']);
      assert.deepEqual(await users('externalId eq "ext-1"'), ['bob']);
    });

    it('compiles userName eq to the indexed lower(user_name) form, externalId eq to a plain comparison', () => {
      const byName = filterCondition('User', parseFilter('User', 'userName eq "X"'));
      assert.equal(byName.sql, 'lower(users.user_name) = lower(?::text)');
      assert.deepEqual(byName.bindings, ['X']);
      const byExternalId = filterCondition('User', parseFilter('User', 'externalId eq "X"'));
      assert.match(byExternalId.sql, /users\.external_id = \?::text/);
    });

    it('ne matches resources without the attribute', async () => {
      assert.deepEqual(await users('title ne "Rektor"'), ['asa', 'bob', 'carl']);
      assert.deepEqual(await users('externalId ne "EXT-1"'), ['asa', 'bob', 'carl']);
    });

    it('co, sw and ew treat %, _ and \\ in the value literally', async () => {
      assert.deepEqual(await users('userName co "_"'), ['carl']);
      assert.deepEqual(await users('userName co "0%"'), ['carl']);
      assert.deepEqual(await users('userName ew "%"'), ['carl']);
      assert.deepEqual(await users(String.raw`nickName co "\\"`), ['carl']);
      assert.deepEqual(await users(String.raw`nickName eq "c:\\TEMP"`), ['carl']);
      assert.deepEqual(await users('userName sw "A"'), ['alice']);
      assert.deepEqual(await users('userName ew "SON"'), ['alice']);
      assert.deepEqual(await users('userName co "o"'), ['alice', 'bob']);
    });

    it('pr needs a non-empty value, a non-empty object, or at least one element', async () => {
      assert.deepEqual(await users('title pr'), ['alice', 'bob']);
      assert.deepEqual(await users('name pr'), ['alice', 'bob']);
      assert.deepEqual(await users('emails pr'), ['alice', 'asa', 'bob']);
      assert.deepEqual(await users('emails.type pr'), ['alice', 'bob']);
      assert.deepEqual(await users('externalId pr'), ['alice', 'bob']);
      assert.deepEqual(await users('userName pr and id pr and meta pr and active pr'), all);
    });

    it('gt, ge, lt and le order strings by code point, case-insensitively for caseExact false', async () => {
      assert.deepEqual(await users('userName gt "b"'), ['asa', 'bob', 'carl']);
      assert.deepEqual(await users('userName lt "BOB"'), ['alice']);
      assert.deepEqual(await users('userName le "BOB"'), ['alice', 'bob']);
      assert.deepEqual(await users('userName ge "carl"'), ['asa', 'carl']);
      assert.deepEqual(await users('externalId lt "a"'), ['alice']);
    });

    it('compares date-times chronologically, whatever the offset', async () => {
      assert.deepEqual(await users('meta.created gt "2026-02-01T00:00:00Z"'), ['asa', 'bob', 'carl']);
      assert.deepEqual(await users('meta.created le "2026-02-10T00:00:00Z"'), ['alice', 'bob']);
      assert.deepEqual(await users('meta.created eq "2026-02-10T01:00:00+01:00"'), ['bob']);
      assert.deepEqual(await users('meta.created eq "2026-03-10T00:00:00.250Z"'), ['carl']);
      assert.deepEqual(await users('meta.lastModified lt "2026-01-11"'), ['alice']);
      assert.deepEqual(await users('meta.created ne "2026-01-10T00:00:00Z"'), ['asa', 'bob', 'carl']);
    });

    it('compares booleans', async () => {
      assert.deepEqual(await users('active eq true'), ['alice', 'asa', 'carl']);
      assert.deepEqual(await users('active eq false'), ['bob']);
      assert.deepEqual(await users('active ne true'), ['bob']);
      assert.deepEqual(await users('active eq "False"'), ['bob']);
      assert.deepEqual(await users('emails.primary eq true'), ['alice']);
      assert.deepEqual(await users('emails[primary ne true]'), ['alice', 'asa', 'bob']);
    });

    it('treats eq null as absent and ne null as present', async () => {
      assert.deepEqual(await users('title eq null'), ['asa', 'carl']);
      assert.deepEqual(await users('externalId ne null'), ['alice', 'bob']);
    });

    it('matches a constant meta.resourceType', async () => {
      assert.deepEqual(await users('meta.resourceType eq "User"'), all);
      assert.deepEqual(await users('meta.resourceType eq "Group"'), []);
    });
  });

  describe('logical operators and grouping', () => {
    it('and binds tighter than or', async () => {
      assert.deepEqual(await users('userName eq "bob" or userName eq "Åsa" and active eq false'), ['bob']);
      assert.deepEqual(await users('active eq false and userName eq "bob" or userName eq "Åsa"'), ['asa', 'bob']);
    });

    it('parentheses regroup', async () => {
      assert.deepEqual(await users('(userName eq "bob" or userName eq "Åsa") and active eq true'), ['asa']);
      assert.deepEqual(await users('active eq false and (userName eq "bob" or userName eq "Åsa")'), ['bob']);
    });

    it('not negates, matching resources without the attribute', async () => {
      assert.deepEqual(await users('not (title eq "Rektor")'), ['asa', 'bob', 'carl']);
      assert.deepEqual(await users('not (active eq true) or title eq "Rektor"'), ['alice', 'bob']);
      assert.deepEqual(await users('not (not (title pr) or active eq false)'), ['alice']);
    });
  });

  describe('multi-valued attributes and value paths', () => {
    it('matches when any value matches', async () => {
      assert.deepEqual(await users('emails.value eq "bob@SCHOOL.se"'), ['bob']);
      assert.deepEqual(await users('emails eq "asa@x.se"'), ['asa']);
      assert.deepEqual(await users('emails.value co "@school.se"'), ['alice', 'bob']);
      assert.deepEqual(await users('emails.type eq "home"'), ['alice']);
    });

    it('ne on a multi-valued attribute means that no value equals', async () => {
      assert.deepEqual(await users('emails.value ne "alice@home.se"'), ['asa', 'bob', 'carl']);
    });

    it('a value path needs one value to satisfy the whole inner filter', async () => {
      assert.deepEqual(await users('emails[type eq "work" and value co "@school.se"]'), ['alice', 'bob']);
      assert.deepEqual(await users('emails[type eq "home" and value co "school"]'), []);
      assert.deepEqual(await users('emails.type eq "home" and emails.value co "school"'), ['alice']);
      assert.deepEqual(await users('emails[not (type pr)]'), ['asa']);
      assert.deepEqual(await users('emails[type eq "work" or value ew "x.se"] and not (emails[type eq "home"])'), ['asa', 'bob']);
    });

    it('a value path works on a single-valued complex attribute too', async () => {
      assert.deepEqual(await users('name[givenName eq "alice" and familyName pr]'), ['alice']);
      assert.deepEqual(await users('not (name[givenName pr])'), ['asa', 'carl']);
    });
  });

  describe('sub-attributes and extensions', () => {
    it('filters sub-attributes of complex attributes', async () => {
      assert.deepEqual(await users('name.givenName eq "ALICE"'), ['alice']);
      assert.deepEqual(await users('name.familyName pr'), ['alice']);
    });

    it('filters enterprise extension attributes by full URN', async () => {
      assert.deepEqual(await users(`${ENTERPRISE_USER}:department eq "admin"`), ['alice', 'asa']);
      assert.deepEqual(await users(`${ENTERPRISE_USER}:manager.value eq "${ids.alice}"`), ['bob']);
      assert.deepEqual(await users(`${ENTERPRISE_USER}:manager[value pr]`), ['bob']);
      assert.deepEqual(await users(`${ENTERPRISE_USER}:employeeNumber ge "100"`), ['alice']);
    });

    it('filters the derived identity-manager extension', async () => {
      assert.deepEqual(await users(`${IDM_USER}:services eq "studeranderapportering"`), ['bob']);
      assert.deepEqual(await users(`${IDM_USER}:services pr`), ['alice', 'bob']);
      assert.deepEqual(await users(`not (${IDM_USER}:services pr)`), ['asa', 'carl']);
      assert.deepEqual(await users(`${IDM_USER}:credentialStatus eq "PENDING"`), ['bob']);
      assert.deepEqual(await users(`${IDM_USER}:organisationName eq "exempelgymnasiet"`), all);
      assert.deepEqual(await users(`${IDM_USER}:organisationType eq "municipality"`), []);
      assert.deepEqual(await users(`${IDM_USER}:schoolForm eq "gymnasieskola"`), all);
      assert.deepEqual(await users(`${IDM_USER}:schoolForm pr`, municipality), []);
      assert.deepEqual(await users(`${IDM_USER}:organisationId eq "${school}"`), all);
    });

    it('filters groups of a user by id and by display name', async () => {
      assert.deepEqual(await users(`groups.value eq "${schoolGroups.behorighetsadministrator}"`), ['bob']);
      assert.deepEqual(await users(`groups eq "${schoolGroups['studietider-och-utbildningar'].toUpperCase()}"`), ['alice']);
      assert.deepEqual(await users('groups.display eq "behörighetsadministratör"'), ['bob']);
      assert.deepEqual(await users('groups[type eq "direct" and display sw "Stud"]'), ['alice', 'bob']);
    });

    it('an id that is not a UUID matches nothing with eq and everything with ne', async () => {
      assert.deepEqual(await users('id eq "not-a-uuid"'), []);
      assert.deepEqual(await users('id ne "not-a-uuid"'), all);
      assert.deepEqual(await users('groups.value eq "42"'), []);
      assert.deepEqual(await users('groups.value ne "42"'), all);
      assert.deepEqual(await users(`id eq "${ids.asa.toUpperCase()}"`), ['asa']);
      assert.deepEqual(await users(`id sw "${ids.carl.slice(0, 8).toUpperCase()}"`), ['carl']);
      assert.deepEqual(await groups('members.value eq "x"'), []);
    });
  });

  describe('tenant scoping', () => {
    it('never matches a user of another organisation', async () => {
      assert.deepEqual(await users('userName eq "alice.other"'), []);
      assert.deepEqual((await users('userName eq "alice.other"', municipality)).length, 1);
    });

    it('correlates memberships on the organisation, not only on the user id', async () => {
      // The municipality's user shares Alice's id and is in studiestartsstod there.
      assert.deepEqual(await users(`${IDM_USER}:services eq "studiestartsstod"`), []);
      assert.deepEqual(await users(`groups.value eq "${municipalityGroups.studiestartsstod}"`), []);
      assert.deepEqual(await users(`${IDM_USER}:services eq "studietider-och-utbildningar"`, municipality), []);
      assert.deepEqual(await users(`${IDM_USER}:organisationType eq "municipality"`, municipality), [ids.alice]);
    });
  });

  describe('Group filters', () => {
    it('displayName eq, case-insensitively, in the indexed form', async () => {
      assert.deepEqual(await groups('displayName eq "STUDERANDERAPPORTERING"'), ['studeranderapportering']);
      const condition = filterCondition('Group', parseFilter('Group', 'displayName eq "x"'));
      assert.equal(condition.sql, 'lower(groups.display_name) = lower(?::text)');
    });

    it('members.value eq finds the groups of a user, members pr the non-empty ones', async () => {
      assert.deepEqual(await groups(`members.value eq "${ids.bob}"`), ['behorighetsadministrator', 'studeranderapportering']);
      assert.deepEqual(await groups(`members[value eq "${ids.alice}" and type eq "User"]`), ['studietider-och-utbildningar']);
      assert.deepEqual(await groups('members pr'), ['behorighetsadministrator', 'studeranderapportering', 'studietider-och-utbildningar']);
      assert.deepEqual(await groups(`members.value ne "${ids.bob}"`), ['studietider-och-utbildningar']);
      assert.deepEqual(await groups(`members.value eq "${ids.alice}"`, municipality), ['studiestartsstod']);
    });

    it('externalId is always unassigned', async () => {
      assert.deepEqual(await groups('externalId pr'), []);
      assert.deepEqual(await groups('externalId eq "x"'), []);
      assert.deepEqual((await groups('externalId ne "x"')).length, 3);
    });

    it('filters the group extension: serviceCode, description and formOnly', async () => {
      assert.deepEqual(await groups(`${IDM_GROUP}:serviceCode eq "studeranderapportering"`), ['studeranderapportering']);
      assert.deepEqual(await groups(`${IDM_GROUP}:description co "studerandes"`), ['studeranderapportering']);
      // A gymnasieskola is form-only for Studeranderapportering (SPEC §3.2).
      assert.deepEqual(await groups(`${IDM_GROUP}:formOnly eq true`), ['behorighetsadministrator', 'studeranderapportering']);
      assert.deepEqual(await groups(`${IDM_GROUP}:formOnly eq false`), ['studietider-och-utbildningar']);
      assert.deepEqual(await groups(`${IDM_GROUP}:formOnly eq true`, municipality), ['behorighetsadministrator']);
    });

    it('filters meta and id', async () => {
      assert.deepEqual((await groups('meta.created eq "2026-06-01T00:00:00Z" and meta.resourceType eq "Group"')).length, 3);
      assert.deepEqual(await groups(`id eq "${schoolGroups.studeranderapportering}"`), ['studeranderapportering']);
    });
  });

  describe('sortExpression (RFC 7644 §3.4.2.3)', () => {
    async function sorted(sortBy: string, direction: 'asc' | 'desc' = 'asc'): Promise<string[]> {
      const expression = sortExpression('User', parseSortBy('User', sortBy));
      const rows: { id: string }[] = await db('users')
        .where('users.org_id', school)
        .select('users.id')
        .orderByRaw(`${expression.sql} ${direction}, users.id`, expression.bindings);
      return rows.map((r) => nameOf(r.id));
    }

    it('sorts strings case-insensitively, values missing last ascending and first descending', async () => {
      // Åsa is left out: where ö and å sort depends on the server's collation.
      assert.deepEqual((await sorted('userName')).filter((n) => n !== 'asa'), ['alice', 'bob', 'carl']);
      assert.deepEqual((await sorted('userName', 'desc')).filter((n) => n !== 'asa'), ['carl', 'bob', 'alice']);
      assert.deepEqual((await sorted('name.givenName')).slice(0, 2), ['alice', 'bob']);
      assert.deepEqual((await sorted('name.givenName', 'desc')).slice(2), ['bob', 'alice']);
    });

    it('sorts a multi-valued attribute by its primary value, else its first', async () => {
      // Alice's first e-mail is alice@home.se, her primary zed.alice@school.se.
      assert.deepEqual(await sorted('emails'), ['asa', 'bob', 'alice', 'carl']);
      assert.deepEqual(await sorted('emails.value', 'desc'), ['carl', 'alice', 'bob', 'asa']);
      assert.deepEqual((await sorted('groups.display')).slice(0, 2), ['bob', 'alice']);
    });

    it('serves keyset comparisons with the same expression', async () => {
      const expression = sortExpression('User', parseSortBy('User', 'meta.created'));
      const rows: { id: string }[] = await db('users')
        .where('users.org_id', school)
        .whereRaw(`${expression.sql} > ?`, [...expression.bindings, new Date('2026-02-10T00:00:00Z')])
        .select('users.id');
      assert.deepEqual(rows.map((r) => nameOf(r.id)).sort(), ['asa', 'carl']);
    });
  });
});

// ---- property: SQL selects what a reference evaluator selects --------------------------------

interface ModelEmail {
  value?: string;
  type?: string;
}
interface ModelUser {
  userName: string;
  givenName?: string;
  title?: string;
  department?: string;
  active: boolean;
  created: number;
  emails: ModelEmail[];
}

type Op = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
type Expr =
  | { kind: 'text'; attr: 'userName' | 'name.givenName' | 'title' | 'department' | 'emails.value' | 'emails.type'; op: Op | 'pr'; value: string }
  | { kind: 'active'; op: 'eq' | 'ne' | 'pr'; value: boolean }
  | { kind: 'created'; op: Exclude<Op, 'co' | 'sw' | 'ew'> | 'pr'; value: string }
  | { kind: 'emails'; inner: Inner }
  | { kind: 'and' | 'or'; left: Expr; right: Expr; paren: boolean }
  | { kind: 'not'; expr: Expr };
type Inner =
  | { kind: 'field'; attr: 'value' | 'type'; op: Op | 'pr'; value: string }
  | { kind: 'and' | 'or'; left: Inner; right: Inner; paren: boolean }
  | { kind: 'not'; expr: Inner };

const STRINGS = ['a', 'A', 'anna', 'Anna', 'b', 'bo', 'ö', 'Åsa', 'åsa', '%', '_', 'a_b', 'a%b', 'x\\y', '', 'work', 'home', '@x.se', 'A@X.se', 'z'];
const DATES = ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'];
const DATE_VALUES = [...DATES, '2026-02-01T01:00:00+01:00', '2026-02-15T00:00:00Z', '2025-12-31T23:59:59.999Z'];
const OPS: Op[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
const TEXT_ATTRS = ['userName', 'name.givenName', 'title', 'department', 'emails.value', 'emails.type'] as const;

const optionalString = fc.option(fc.constantFrom(...STRINGS), { nil: undefined });
const userArb: fc.Arbitrary<ModelUser> = fc.record({
  userName: fc.constantFrom(...STRINGS.filter((s) => s !== '')),
  givenName: optionalString,
  title: optionalString,
  department: optionalString,
  active: fc.boolean(),
  created: fc.constantFrom(...DATES.map((d) => Date.parse(d))),
  emails: fc.array(fc.record({ value: optionalString, type: fc.option(fc.constantFrom('work', 'home', 'Work'), { nil: undefined }) }), { maxLength: 3 }),
});

const innerArb: fc.Arbitrary<Inner> = fc.letrec<{ inner: Inner }>((tie) => ({
  inner: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('field' as const), attr: fc.constantFrom('value' as const, 'type' as const), op: fc.constantFrom<Op | 'pr'>(...OPS, 'pr'), value: fc.constantFrom(...STRINGS) }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('inner'), right: tie('inner'), paren: fc.boolean() }),
    fc.record({ kind: fc.constant('not' as const), expr: tie('inner') }),
  ),
})).inner;

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('text' as const), attr: fc.constantFrom(...TEXT_ATTRS), op: fc.constantFrom<Op | 'pr'>(...OPS, 'pr'), value: fc.constantFrom(...STRINGS) }),
    fc.record({ kind: fc.constant('active' as const), op: fc.constantFrom('eq' as const, 'ne' as const, 'pr' as const), value: fc.boolean() }),
    fc.record({ kind: fc.constant('created' as const), op: fc.constantFrom('eq' as const, 'ne' as const, 'gt' as const, 'ge' as const, 'lt' as const, 'le' as const, 'pr' as const), value: fc.constantFrom(...DATE_VALUES) }),
    fc.record({ kind: fc.constant('emails' as const), inner: innerArb }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('expr'), right: tie('expr'), paren: fc.boolean() }),
    fc.record({ kind: fc.constant('not' as const), expr: tie('expr') }),
  ),
})).expr;

// The parser refuses filters nested deeper than MAX_FILTER_DEPTH (errors.test.ts covers that);
// this property is about what a filter selects, so it keeps to filters well inside the bound.
function nesting(e: Expr | Inner): number {
  switch (e.kind) {
    case 'and':
    case 'or':
      return 1 + Math.max(nesting(e.left), nesting(e.right));
    case 'not':
      return 1 + nesting(e.expr);
    case 'emails':
      return 2 + nesting(e.inner);
    default:
      return 0;
  }
}
const boundedExprArb = exprArb.filter((e) => nesting(e) <= MAX_FILTER_DEPTH - 3);

// Rendering puts parentheses only where precedence needs them (an `or` under an `and`), plus the
// redundant ones the generator asks for, so the parser's precedence is exercised too.
function render(e: Expr | Inner, parent: 'and' | 'or' | 'top' = 'top'): string {
  switch (e.kind) {
    case 'and':
    case 'or': {
      const text = `${render(e.left, e.kind)} ${e.kind} ${render(e.right, e.kind)}`;
      return e.paren || (e.kind === 'or' && parent === 'and') ? `(${text})` : text;
    }
    case 'not':
      return `not (${render(e.expr)})`;
    case 'emails':
      return `emails[${render(e.inner)}]`;
    case 'text': {
      const attr = e.attr === 'department' ? `${ENTERPRISE_USER}:department` : e.attr;
      return e.op === 'pr' ? `${attr} pr` : `${attr} ${e.op} ${JSON.stringify(e.value)}`;
    }
    case 'field':
      return e.op === 'pr' ? `${e.attr} pr` : `${e.attr} ${e.op} ${JSON.stringify(e.value)}`;
    case 'active':
      return e.op === 'pr' ? 'active pr' : `active ${e.op} ${e.value}`;
    case 'created':
      return e.op === 'pr' ? 'meta.created pr' : `meta.created ${e.op} ${JSON.stringify(e.value)}`;
  }
}

/** RFC 7644 §3.4.2.2 on one string (caseExact false); a missing value makes every operator but ne false. */
function matchText(actual: string | undefined, op: Op | 'pr', expected: string): boolean {
  if (op === 'pr') return actual !== undefined && actual !== '';
  if (op === 'ne') return !matchText(actual, 'eq', expected);
  if (actual === undefined) return false;
  const a = actual.toLowerCase();
  const b = expected.toLowerCase();
  switch (op) {
    case 'eq': return a === b;
    case 'co': return a.includes(b);
    case 'sw': return a.startsWith(b);
    case 'ew': return a.endsWith(b);
    case 'gt': return a > b;
    case 'ge': return a >= b;
    case 'lt': return a < b;
    case 'le': return a <= b;
  }
}

function matchOrder(a: number, op: Op, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
    case 'lt': return a < b;
    default: return a <= b;
  }
}

function evalInner(e: Inner, email: ModelEmail): boolean {
  switch (e.kind) {
    case 'and': return evalInner(e.left, email) && evalInner(e.right, email);
    case 'or': return evalInner(e.left, email) || evalInner(e.right, email);
    case 'not': return !evalInner(e.expr, email);
    case 'field': return matchText(email[e.attr], e.op, e.value);
  }
}

function evaluate(e: Expr, user: ModelUser): boolean {
  switch (e.kind) {
    case 'and': return evaluate(e.left, user) && evaluate(e.right, user);
    case 'or': return evaluate(e.left, user) || evaluate(e.right, user);
    case 'not': return !evaluate(e.expr, user);
    case 'emails': return user.emails.some((email) => evalInner(e.inner, email));
    case 'active': return e.op === 'pr' || (e.op === 'eq') === (user.active === e.value);
    case 'created': return e.op === 'pr' || matchOrder(user.created, e.op, Date.parse(e.value));
    case 'text': {
      if (e.attr === 'emails.value' || e.attr === 'emails.type') {
        const field = e.attr === 'emails.value' ? 'value' : 'type';
        // ne is "no value equals"; pr is "some value present"; others: any value matches.
        if (e.op === 'ne') return !user.emails.some((m) => matchText(m[field], 'eq', e.value));
        return user.emails.some((m) => matchText(m[field], e.op, e.value));
      }
      const value = e.attr === 'userName' ? user.userName : e.attr === 'name.givenName' ? user.givenName : e.attr === 'title' ? user.title : user.department;
      return matchText(value, e.op, e.value);
    }
  }
}

function userData(user: ModelUser): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (user.givenName !== undefined) data.name = { givenName: user.givenName };
  if (user.title !== undefined) data.title = user.title;
  if (user.department !== undefined) data[ENTERPRISE_USER] = { department: user.department };
  if (user.emails.length) data.emails = user.emails.map((m) => JSON.parse(JSON.stringify(m)));
  return data;
}

describe('filter → SQL agrees with a reference evaluator (property)', () => {
  let t: TestDb;
  let org: string;
  let other: string;

  before(async () => {
    t = await createTestDb();
    const orgs = organisations(t.db);
    org = (await orgs.create({ name: 'Egenskapsskolan', type: 'school', schoolForm: 'komvux' }, NOW)).id;
    other = (await orgs.create({ name: 'Annan kommun', type: 'municipality' }, NOW)).id;
    // A user of another tenant that would match most filters: it must never be selected.
    await insertUser(t.db, other, { userName: 'anna', created: DATES[1], data: { title: 'a', emails: [{ value: 'a', type: 'work' }] } });
  });
  after(() => t.drop());

  it('selects exactly the users the reference evaluator selects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(userArb, { maxLength: 8 }), fc.array(boundedExprArb, { minLength: 1, maxLength: 6 }), async (model, filters) => {
        const db = t.db;
        await db('users').where({ org_id: org }).delete();
        const ids = model.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
        if (model.length) {
          await db('users').insert(
            model.map((u, i) => ({
              org_id: org,
              id: ids[i],
              user_name: u.userName,
              active: u.active,
              data: JSON.stringify(userData(u)),
              created_at: new Date(u.created),
              modified_at: new Date(u.created),
            })),
          );
        }
        for (const expr of filters) {
          const text = render(expr);
          const query = db('users').where('users.org_id', org).select('users.id');
          const rows: { id: string }[] = await applyFilter(query, 'User', parseFilter('User', text));
          const actual = rows.map((r) => r.id).sort();
          const expected = ids.filter((_, i) => evaluate(expr, model[i])).sort();
          assert.deepEqual(actual, expected, `filter: ${text}`);
        }
      }),
      { numRuns: 100 },
    );
  });
});
