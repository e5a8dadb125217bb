// The requests Okta's SCIM 2.0 client sends to a SCIM server, replayed in the order it sends them,
// with the answers it expects. Sources (Okta developer documentation, okta/okta-developer-docs):
// - "Okta and SCIM Version 2.0" (developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20,
//   formerly /docs/reference/scim/scim-20): Create Users, Retrieve Users, Update a specific User
//   (PUT, PATCH), Delete Users, and the Group operations;
// - "Connect your SCIM API service to Okta" (docs/guides/scim-provisioning-integration-connect):
//   Okta sends a random password in its request to create a user;
// - Okta's Runscope test suite for SCIM 2.0 ("Okta SCIM 2.0 Tests", SCIM_tests_for_Runscope.json):
//   "Test API Credentials" is GET /Users?count=2&startIndex=1, expecting integer paging values.
// Okta accepts 200 with the resource or 204 for a PATCH; this server answers 200 with the user for
// Users and 204 for Groups (SPEC §5, as for Entra). Groups come from the service catalog here:
// Okta's "Push Groups" create is refused (SPEC §5.2) and existing groups are matched by name.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { IDM_USER, USER_SCHEMA, PATCH_OP, scimClient, type ScimClient } from '../helpers/scim.ts';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const oktaPatch = (...Operations: Record<string, unknown>[]) => ({ schemas: [PATCH_OP], Operations });
/** Okta URL-encodes its filter: `filter=userName%20eq%20%22test.user%40okta.local%22`. */
const q = (filter: string) => encodeURIComponent(filter);

// A password that meets SPEC §3.4. (Okta's documented sample, "1mz050nq", has no upper-case letter.)
const OKTA_PASSWORD = 'Rk7mz050nqX';

/** The Create User body of "Okta and SCIM Version 2.0", with this test's names. */
function oktaUser(userName: string, givenName: string, familyName: string, externalId: string) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName, familyName },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${givenName} ${familyName}`,
    locale: 'sv-SE',
    externalId,
    groups: [],
    password: OKTA_PASSWORD,
    active: true,
  };
}

function assertScimError(res: { status: number; body: any; headers: Record<string, string> }, status: number, scimType?: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers['content-type'], /application\/scim\+json/);
  assert.deepEqual(res.body.schemas, [ERROR]);
  assert.equal(res.body.status, String(status));
  assert.equal(typeof res.body.detail, 'string');
  if (scimType) assert.equal(res.body.scimType, scimType);
}

/** Okta reads totalResults, startIndex and itemsPerPage as integers, never strings. */
function assertListPage(body: any, expected: { totalResults: number; startIndex: number; itemsPerPage: number }) {
  assert.deepEqual(body.schemas, [LIST_RESPONSE]);
  for (const key of ['totalResults', 'startIndex', 'itemsPerPage'] as const) {
    assert.ok(Number.isInteger(body[key]), `${key} is an integer: ${JSON.stringify(body[key])}`);
    assert.equal(body[key], expected[key], key);
  }
  assert.equal(body.Resources.length, expected.itemsPerPage);
}

describe('Okta provisioning sequence', () => {
  let t: TestApp;
  let scim: ScimClient;
  const userName = 'test.user@komvux-norr.se';
  const externalId = '00ujl29u0le5T6Aj10h7';
  let userId: string;
  let user: Record<string, any>;
  let groupId: string;

  before(async () => {
    t = await createTestApp();
    // Komvux reporting via file: every group except Behörighetsadministratör takes provisioner changes.
    const org = await t.createOrg({ name: 'Komvux Norr', schoolForm: 'komvux', reportsViaFile: true });
    scim = await scimClient(t, org.id, 'provisioner', 'okta-provisioning');
  });
  after(() => t.close());

  const storedUser = (id: string) => t.testDb.db('users').where({ id }).first();
  const countUsers = async () => Number((await t.testDb.db('users').where({ org_id: scim.orgId }).count({ n: '*' }).first())!.n);
  const memberIds = async (group: string) =>
    (await t.testDb.db('memberships').where({ group_id: group }).orderBy('user_id').pluck('user_id')) as string[];

  describe('Create Users', () => {
    it('answers "does the user exist" with an empty ListResponse (filter=userName eq, startIndex=1, count=100)', async () => {
      const res = await scim.get(`/Users?filter=${q(`userName eq "${userName}"`)}&startIndex=1&count=100`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.headers['content-type'], /application\/scim\+json/);
      assertListPage(res.body, { totalResults: 0, startIndex: 1, itemsPerPage: 0 });
      assert.deepEqual(res.body.Resources, []);
    });

    it('creates the user from the Okta body: 201 with the user, no password back, only a hash stored', async () => {
      const res = await scim.post('/Users', oktaUser(userName, 'Test', 'User', externalId));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.match(res.headers['content-type'], /application\/scim\+json/);
      assert.ok(typeof res.body.id === 'string' && res.body.id.length > 0, 'Okta refuses an empty created user');
      assert.equal(res.body.userName, userName);
      assert.deepEqual(res.body.name, { givenName: 'Test', familyName: 'User' });
      assert.deepEqual(res.body.emails, [{ primary: true, value: userName, type: 'work' }]);
      assert.equal(res.body.displayName, 'Test User');
      assert.equal(res.body.locale, 'sv-SE');
      assert.equal(res.body.externalId, externalId);
      assert.equal(res.body.active, true);
      assert.equal(res.body.meta.resourceType, 'User');
      assert.equal(res.body.password, undefined);
      assert.ok(!JSON.stringify(res.body).includes(OKTA_PASSWORD));
      assert.ok(!(res.body.groups ?? []).length, 'groups is read-only: the [] sent is not a membership');
      userId = res.body.id;
      const row = await storedUser(userId);
      assert.equal(row.user_name, userName);
      assert.equal(row.external_id, externalId);
      assert.match(row.password_hash, /^scrypt\$/);
      assert.ok(!JSON.stringify(row).includes(OKTA_PASSWORD), 'the password is stored only as a hash');
      assert.deepEqual(await t.testDb.db('memberships').where({ user_id: userId }), []);
    });

    it('finds the created user with the same query (startIndex=1, count=100)', async () => {
      const res = await scim.get(`/Users?filter=${q(`userName eq "${userName}"`)}&startIndex=1&count=100`);
      assert.equal(res.status, 200);
      assertListPage(res.body, { totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      assert.equal(res.body.Resources[0].id, userId);
      assert.equal(res.body.Resources[0].password, undefined);
    });

    it('answers a create of an existing user with 409 and an error body, so Okta stops the job; nothing stored', async () => {
      const before = await countUsers();
      const res = await scim.post('/Users', oktaUser(userName.toUpperCase(), 'Test', 'User', '00uOTHER'));
      assertScimError(res, 409, 'uniqueness');
      assert.equal(await countUsers(), before);
    });
  });

  describe('Retrieve and update a user', () => {
    it('returns the user by id ("Retrieve a specific User"), and 404 with an error body for an unknown id', async () => {
      const res = await scim.get(`/Users/${userId}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, userId);
      assert.equal(res.body.userName, userName);
      assert.equal(res.body.active, true);
      assert.equal(res.body.password, undefined);
      user = res.body;
      assertScimError(await scim.get(`/Users/${crypto.randomUUID()}`), 404);
    });

    it('takes Okta\'s PUT of the whole user as it was read, with one attribute changed: 200 with the updated user', async () => {
      const hashBefore = (await storedUser(userId)).password_hash;
      // Okta sends back what it read (id, meta, groups and the read-only extension included) with
      // its changes applied, here a middle name and an e-mail display value.
      const body = {
        ...user,
        name: { ...user.name, middleName: 'Excited' },
        emails: [{ primary: true, value: userName, type: 'work', display: userName }],
        groups: [],
      };
      const res = await scim.put(`/Users/${userId}`, body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.name, { givenName: 'Test', middleName: 'Excited', familyName: 'User' });
      assert.deepEqual(res.body.emails, [{ primary: true, value: userName, type: 'work', display: userName }]);
      assert.equal(res.body.displayName, 'Test User');
      assert.equal(res.body.locale, 'sv-SE');
      assert.equal(res.body.externalId, externalId);
      assert.equal(res.body.active, true);
      assert.deepEqual(res.body[IDM_USER], user[IDM_USER]);
      assert.notEqual(res.body.meta.version, user.meta.version);
      const row = await storedUser(userId);
      assert.equal(row.data.name.middleName, 'Excited');
      assert.equal(row.password_hash, hashBefore, 'a PUT without password (never returned) keeps the password');
      user = res.body;
    });

    it('deactivates with PATCH {"op":"replace","value":{"active":false}}: 200 with the updated user, stored', async () => {
      const res = await scim.patch(`/Users/${userId}`, oktaPatch({ op: 'replace', value: { active: false } }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, userId);
      assert.equal(res.body.active, false);
      assert.equal(res.body.name.middleName, 'Excited', 'nothing else changes');
      assert.equal((await storedUser(userId)).active, false);
      // Okta never deletes: the deactivated user is still there to read.
      assert.equal((await scim.get(`/Users/${userId}`)).body.active, false);
    });

    it('reactivates with PATCH {"op":"replace","value":{"active":true}}', async () => {
      const res = await scim.patch(`/Users/${userId}`, oktaPatch({ op: 'replace', value: { active: true } }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.active, true);
      assert.equal((await storedUser(userId)).active, true);
    });

    it('deactivates and reactivates by PUT with active false/true (integrations made with the App Integration Wizard)', async () => {
      const current = (await scim.get(`/Users/${userId}`)).body;
      const off = await scim.put(`/Users/${userId}`, { ...current, active: false });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.active, false);
      assert.equal((await storedUser(userId)).active, false);
      const on = await scim.put(`/Users/${userId}`, { ...off.body, active: true });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      assert.equal(on.body.active, true);
      assert.equal(on.body.name.middleName, 'Excited');
      assert.equal((await storedUser(userId)).active, true);
    });
  });

  describe('Retrieve Users (paging)', () => {
    it('pages with startIndex and count: integer totalResults, itemsPerPage, startIndex, a stable order and every user once', async () => {
      for (const [given, family] of [['Anna', 'Ek'], ['Bo', 'Gran'], ['Cilla', 'Lind'], ['David', 'Alm']]) {
        const created = await scim.post('/Users', oktaUser(`${given.toLowerCase()}.${family.toLowerCase()}@komvux-norr.se`, given, family, `00u${given}`));
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
      const total = await countUsers();
      assert.equal(total, 5);
      // "Test API Credentials" asks for two.
      const first = await scim.get('/Users?startIndex=1&count=2');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assertListPage(first.body, { totalResults: total, startIndex: 1, itemsPerPage: 2 });
      const seen: string[] = [];
      for (let start = 1; start <= total; start += 2) {
        const page = await scim.get(`/Users?startIndex=${start}&count=2`);
        assert.equal(page.status, 200);
        assertListPage(page.body, { totalResults: total, startIndex: start, itemsPerPage: Math.min(2, total - start + 1) });
        seen.push(...page.body.Resources.map((u: { id: string }) => u.id));
      }
      const stored = (await t.testDb.db('users').where({ org_id: scim.orgId }).pluck('id')) as string[];
      assert.equal(new Set(seen).size, seen.length, 'no user on two pages');
      assert.deepEqual([...seen].sort(), [...stored].sort());
      const again = await scim.get('/Users?startIndex=1&count=2');
      assert.deepEqual(again.body.Resources.map((u: { id: string }) => u.id), seen.slice(0, 2), 'same order on every request');
      // The import reads up to 100 at a time.
      const all = await scim.get('/Users?startIndex=1&count=100');
      assertListPage(all.body, { totalResults: total, startIndex: 1, itemsPerPage: total });
      assert.deepEqual(all.body.Resources.map((u: { id: string }) => u.id), seen);
      const past = await scim.get(`/Users?startIndex=${total + 1}&count=100`);
      assertListPage(past.body, { totalResults: total, startIndex: total + 1, itemsPerPage: 0 });
    });
  });

  describe('Group operations', () => {
    it('imports the catalog groups with startIndex=1&count=100', async () => {
      const res = await scim.get('/Groups?startIndex=1&count=100');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assertListPage(res.body, { totalResults: 3, startIndex: 1, itemsPerPage: 3 });
      assert.deepEqual(
        res.body.Resources.map((g: { displayName: string }) => g.displayName).sort(),
        ['Behörighetsadministratör', 'Studeranderapportering', 'Studietider och utbildningar'],
      );
    });

    it('finds a group with filter=displayName eq "…"', async () => {
      const res = await scim.get(`/Groups?filter=${q('displayName eq "Studietider och utbildningar"')}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assertListPage(res.body, { totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      assert.equal(res.body.Resources[0].displayName, 'Studietider och utbildningar');
      assert.deepEqual(res.body.Resources[0].members, []);
      groupId = res.body.Resources[0].id;
    });

    it('refuses Okta\'s "Push Groups" create with 403 (the catalog owns groups, SPEC §5.2) and creates nothing', async () => {
      const before = Number((await t.testDb.db('groups').where({ org_id: scim.orgId }).count({ n: '*' }).first())!.n);
      const res = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Test SCIMv2', members: [] });
      assertScimError(res, 403);
      assert.equal(Number((await t.testDb.db('groups').where({ org_id: scim.orgId }).count({ n: '*' }).first())!.n), before);
    });

    it('adds a member with PATCH add members [{value, display}]: 204, the row stored, the group shows the member', async () => {
      const res = await scim.patch(`/Groups/${groupId}`, oktaPatch({ op: 'add', path: 'members', value: [{ value: userId, display: userName }] }));
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.deepEqual(await memberIds(groupId), [userId]);
      const group = await scim.get(`/Groups/${groupId}`);
      assert.equal(group.status, 200);
      assert.deepEqual(group.body.members.map((m: { value: string }) => m.value), [userId]);
    });

    it('takes the name update Okta sends with every membership update (replace, no path, value {id, displayName} unchanged)', async () => {
      const before = await scim.get(`/Groups/${groupId}`);
      const res = await scim.patch(`/Groups/${groupId}`, oktaPatch({ op: 'replace', value: { id: groupId, displayName: 'Studietider och utbildningar' } }));
      assert.ok([200, 204].includes(res.status), `${res.status} ${JSON.stringify(res.body)}`);
      const after = await scim.get(`/Groups/${groupId}`);
      assert.equal(after.body.displayName, 'Studietider och utbildningar');
      assert.deepEqual(after.body.members, before.body.members);
      assert.deepEqual(await memberIds(groupId), [userId]);
    });

    it('applies remove members[value eq "…"] and add members in one PATCH, 204, both stored', async () => {
      const anna = (await scim.get(`/Users?filter=${q('userName eq "anna.ek@komvux-norr.se"')}`)).body.Resources[0];
      const res = await scim.patch(`/Groups/${groupId}`, oktaPatch(
        { op: 'remove', path: `members[value eq "${userId}"]` },
        { op: 'add', path: 'members', value: [{ value: anna.id, display: anna.userName }] },
      ));
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.deepEqual(await memberIds(groupId), [anna.id]);
      const user = await scim.get(`/Users/${userId}`);
      assert.ok(!(user.body.groups ?? []).some((g: { value: string }) => g.value === groupId));
    });

    it('replaces all members with PATCH replace members (a full push), 204, exactly those stored', async () => {
      const bo = (await scim.get(`/Users?filter=${q('userName eq "bo.gran@komvux-norr.se"')}`)).body.Resources[0];
      const res = await scim.patch(`/Groups/${groupId}`, oktaPatch({
        op: 'replace',
        path: 'members',
        value: [{ value: userId, display: userName }, { value: bo.id, display: bo.userName }],
      }));
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.deepEqual(await memberIds(groupId), [userId, bo.id].sort());
    });

    it('takes PUT /Groups/{id} with the displayName unchanged and a members list: 200 with the group, exactly those members', async () => {
      const cilla = (await scim.get(`/Users?filter=${q('userName eq "cilla.lind@komvux-norr.se"')}`)).body.Resources[0];
      const current = (await scim.get(`/Groups/${groupId}`)).body;
      const res = await scim.put(`/Groups/${groupId}`, {
        schemas: [GROUP_SCHEMA],
        id: groupId,
        displayName: current.displayName,
        members: [{ value: userId, display: userName }, { value: cilla.id, display: cilla.userName }],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, groupId);
      assert.equal(res.body.displayName, 'Studietider och utbildningar');
      assert.equal(res.body.meta.resourceType, 'Group');
      assert.deepEqual(await memberIds(groupId), [userId, cilla.id].sort());
    });

    it('returns the group with its members ("Retrieve specific Groups")', async () => {
      const res = await scim.get(`/Groups/${groupId}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, groupId);
      assert.equal(res.body.displayName, 'Studietider och utbildningar');
      assert.ok(res.body.schemas.includes(GROUP_SCHEMA));
      assert.equal(res.body.meta.resourceType, 'Group');
      assert.deepEqual(res.body.members.map((m: { value: string }) => m.value).sort(), (await memberIds(groupId)));
      const user = await scim.get(`/Users/${userId}`);
      assert.deepEqual(user.body.groups.map((g: { value: string }) => g.value), [groupId]);
      assertScimError(await scim.get(`/Groups/${crypto.randomUUID()}`), 404);
    });
  });
});
