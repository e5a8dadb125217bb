// The requests Microsoft Entra ID's provisioning service sends to a SCIM server, replayed in the
// order it sends them, with the answers it expects. Sources (Microsoft Learn, MicrosoftDocs/entra-docs):
// - "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
//   (identity/app-provisioning/use-scim-to-provision-users-and-groups): "SCIM protocol requests and
//   responses" (User Operations, Group Operations), the general guidelines, and examples 1–6 of
//   "Handling provisioning and deprovisioning of users";
// - "Known issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra user
//   provisioning service" (application-provisioning-config-problem-scim-compatibility): the request
//   bodies sent without and with the aadOptscim062020 flag;
// - Microsoft Q&A "Entra ID patch sending Add instead of Replace" (questions/1684621): Entra sends
//   `Add` to `emails[type eq "work"].value` when the work address changes.
// Where this product answers differently by design (groups come from the catalog, users are ended
// by CSN), the test asserts the product's answer from SPEC §4/§5.2 and says so.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { ENTERPRISE, USER_SCHEMA, PATCH_OP, scimClient, type ScimClient } from '../helpers/scim.ts';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
// Entra adds this schema to its Create Group request (tutorial, "Create Group").
const ENTRA_AD_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

/** Entra writes PATCH bodies with the schema first and capitalised op names. */
const entraPatch = (...Operations: Record<string, unknown>[]) => ({ schemas: [PATCH_OP], Operations });
const q = (filter: string) => encodeURIComponent(filter);

/** The Create User body of the tutorial, with this test's names. */
function entraUser(userName: string, externalId: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId,
    userName,
    active: true,
    displayName: 'Lena Lindqvist',
    emails: [{ primary: true, type: 'work', value: `${userName.split('@')[0]}@komvux-norr.se` }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Lena Lindqvist', familyName: 'Lindqvist', givenName: 'Lena' },
    roles: [],
    [ENTERPRISE]: { employeeNumber: '4711', department: 'Vuxenutbildning' },
    ...extra,
  };
}

function assertScimError(res: { status: number; body: any; headers: Record<string, string> }, status: number, scimType?: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers['content-type'], /application\/scim\+json/);
  assert.deepEqual(res.body.schemas, [ERROR]);
  assert.equal(res.body.status, String(status), 'RFC 7644 §3.12: status is a string');
  assert.equal(typeof res.body.detail, 'string');
  if (scimType) assert.equal(res.body.scimType, scimType);
}

describe('Microsoft Entra ID provisioning sequence', () => {
  let t: TestApp;
  let scim: ScimClient;
  // State carried from one step to the next, as Entra carries it between its requests.
  const userName = 'lena.lindqvist@komvux-norr.se';
  const externalId = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
  let userId: string;
  let groupId: string;

  before(async () => {
    t = await createTestApp();
    // Komvux reporting via file: every group except Behörighetsadministratör takes provisioner changes.
    const org = await t.createOrg({ name: 'Komvux Norr', schoolForm: 'komvux', reportsViaFile: true });
    scim = await scimClient(t, org.id, 'provisioner', 'entra-provisioning');
  });
  after(() => t.close());

  const storedUser = (id: string) => t.testDb.db('users').where({ id }).first();
  const countUsers = async () => Number((await t.testDb.db('users').count({ n: '*' }).first())!.n);
  const memberIds = async (group: string) =>
    (await t.testDb.db('memberships').where({ group_id: group }).orderBy('user_id').pluck('user_id')) as string[];

  describe('Test Connection and Create User', () => {
    it('answers a query for a user that does not exist with an empty ListResponse (Test Connection; "Get User by query - Zero results")', async () => {
      for (const filter of [`userName eq "${crypto.randomUUID()}"`, `userName eq "${userName}"`]) {
        const res = await scim.get(`/Users?filter=${q(filter)}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.match(res.headers['content-type'], /application\/scim\+json/);
        assert.deepEqual(res.body.schemas, [LIST_RESPONSE]);
        assert.equal(res.body.totalResults, 0);
        assert.deepEqual(res.body.Resources, []);
        assert.equal(res.body.startIndex, 1);
        assert.ok(Number.isInteger(res.body.itemsPerPage));
      }
    });

    it('creates the user from the Entra body: 201 with id, the values as sent, and the enterprise extension', async () => {
      const res = await scim.post('/Users', entraUser(userName, externalId));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.match(res.headers['content-type'], /application\/scim\+json/);
      assert.ok(typeof res.body.id === 'string' && res.body.id.length > 0);
      assert.equal(res.body.userName, userName);
      assert.equal(res.body.externalId, externalId);
      assert.equal(res.body.active, true);
      assert.equal(res.body.displayName, 'Lena Lindqvist');
      assert.deepEqual(res.body.name, { formatted: 'Lena Lindqvist', familyName: 'Lindqvist', givenName: 'Lena' });
      assert.deepEqual(res.body.emails, [{ primary: true, type: 'work', value: 'lena.lindqvist@komvux-norr.se' }]);
      assert.equal(res.body[ENTERPRISE].employeeNumber, '4711');
      assert.equal(res.body[ENTERPRISE].department, 'Vuxenutbildning');
      assert.equal(res.body.meta.resourceType, 'User');
      assert.ok(res.body.schemas.includes(USER_SCHEMA));
      userId = res.body.id;
      const row = await storedUser(userId);
      assert.equal(row.user_name, userName);
      assert.equal(row.external_id, externalId);
      assert.equal(row.active, true);
      assert.equal(row.password_hash ?? null, null, 'Entra sends no password');
    });

    it('finds the new user by userName (any case) and by externalId ("Get User by query")', async () => {
      const filters = [`userName eq "${userName}"`, `userName eq "${userName.toUpperCase()}"`, `externalId eq "${externalId}"`];
      for (const filter of filters) {
        const res = await scim.get(`/Users?filter=${q(filter)}`);
        assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body.schemas, [LIST_RESPONSE]);
        assert.equal(res.body.totalResults, 1, filter);
        assert.equal(res.body.startIndex, 1);
        assert.equal(res.body.Resources.length, 1);
        assert.equal(res.body.Resources[0].id, userId);
        assert.equal(res.body.Resources[0].userName, userName);
      }
    });

    it('finds the new user by work e-mail with the filter the tutorial requires: emails[type eq "work"].value eq "…"', async () => {
      const res = await scim.get(`/Users?filter=${q('emails[type eq "work"].value eq "lena.lindqvist@komvux-norr.se"')}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, userId);
    });

    it('returns the user by id ("Get User") and 404 with a SCIM error for an unknown id', async () => {
      const res = await scim.get(`/Users/${userId}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.id, userId);
      assert.equal(res.body.externalId, externalId);
      assert.equal(res.body.emails[0].value, 'lena.lindqvist@komvux-norr.se');
      const missing = await scim.get(`/Users/${crypto.randomUUID()}`);
      assertScimError(missing, 404);
    });

    it('refuses a second create of the same user with 409 uniqueness and stores nothing', async () => {
      const before = await countUsers();
      const dup = await scim.post('/Users', entraUser(userName, crypto.randomUUID()));
      assertScimError(dup, 409, 'uniqueness');
      const sameExternalId = await scim.post('/Users', entraUser('another.lena@komvux-norr.se', externalId));
      assertScimError(sameExternalId, 409, 'uniqueness');
      assert.equal(await countUsers(), before);
    });

    it('accepts the create body of example 2, where unmapped attributes are sent as null', async () => {
      const res = await scim.post('/Users', {
        schemas: [USER_SCHEMA, ENTERPRISE],
        externalId: 'jyoung',
        userName: 'jyoung@komvux-norr.se',
        active: true,
        addresses: null,
        displayName: 'Joy Young',
        emails: [{ type: 'work', value: 'jyoung@komvux-norr.se', primary: true }],
        meta: { resourceType: 'User' },
        name: { familyName: 'Young', givenName: 'Joy' },
        phoneNumbers: null,
        preferredLanguage: null,
        title: null,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.title, undefined);
      assert.equal(res.body.addresses, undefined);
      // Example 1 of the tutorial matches on externalId (mailNickname).
      const found = await scim.get(`/Users?filter=${q('externalId eq "jyoung"')}`);
      assert.equal(found.body.totalResults, 1);
      assert.equal(found.body.Resources[0].id, res.body.id);
    });
  });

  describe('Update User', () => {
    it('"Update User [Multi-valued properties]": Replace of the work e-mail and the family name, 200 with the user', async () => {
      const res = await scim.patch(`/Users/${userId}`, entraPatch(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'lena.updated@komvux-norr.se' },
        { op: 'Replace', path: 'name.familyName', value: 'Lindqvist-Berg' },
      ));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, userId);
      assert.equal(res.body.name.familyName, 'Lindqvist-Berg');
      assert.equal(res.body.name.givenName, 'Lena');
      assert.deepEqual(res.body.emails, [{ primary: true, type: 'work', value: 'lena.updated@komvux-norr.se' }]);
      const row = await storedUser(userId);
      assert.equal(row.data.name.familyName, 'Lindqvist-Berg');
      assert.equal(row.data.emails.length, 1);
    });

    it('"Update User [Single-valued properties]": Replace of userName; the user is then found by the new name only', async () => {
      const renamed = 'lena.berg@komvux-norr.se';
      const res = await scim.patch(`/Users/${userId}`, entraPatch({ op: 'Replace', path: 'userName', value: renamed }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.userName, renamed);
      assert.equal((await scim.get(`/Users?filter=${q(`userName eq "${renamed}"`)}`)).body.totalResults, 1);
      assert.equal((await scim.get(`/Users?filter=${q(`userName eq "${userName}"`)}`)).body.totalResults, 0);
      const back = await scim.patch(`/Users/${userId}`, entraPatch({ op: 'Replace', path: 'userName', value: userName }));
      assert.equal(back.status, 200);
      assert.equal((await storedUser(userId)).user_name, userName);
    });

    it('replaces several attributes, one Replace each, an extension attribute by URN path (without aadOptscim062020)', async () => {
      const res = await scim.patch(`/Users/${userId}`, entraPatch(
        { op: 'Replace', path: 'displayName', value: 'Lena L' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'lena.l@komvux-norr.se' },
        { op: 'Replace', path: 'name.givenName', value: 'Helena' },
        { op: 'Replace', path: 'name.familyName', value: 'Lindqvist' },
        { op: 'Replace', path: 'externalId', value: 'lena-ext-2' },
        { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: '4712' },
      ));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.displayName, 'Lena L');
      assert.equal(res.body.emails[0].value, 'lena.l@komvux-norr.se');
      assert.equal(res.body.name.givenName, 'Helena');
      assert.equal(res.body.externalId, 'lena-ext-2');
      assert.equal(res.body[ENTERPRISE].employeeNumber, '4712');
      assert.equal(res.body[ENTERPRISE].department, 'Vuxenutbildning', 'the other extension attribute stays');
      assert.equal((await storedUser(userId)).external_id, 'lena-ext-2');
    });

    it('replaces several attributes with one path-less replace whose keys are dotted paths and URN paths (aadOptscim062020)', async () => {
      const res = await scim.patch(`/Users/${userId}`, entraPatch(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'lena.lindqvist@komvux-norr.se' },
        {
          op: 'replace',
          value: {
            displayName: 'Lena Lindqvist',
            'name.givenName': 'Lena',
            'name.familyName': 'Lindqvist',
            [`${ENTERPRISE}:employeeNumber`]: '4711',
          },
        },
      ));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.displayName, 'Lena Lindqvist');
      assert.equal(res.body.name.givenName, 'Lena');
      assert.equal(res.body.name.familyName, 'Lindqvist');
      assert.equal(res.body.name.formatted, 'Lena Lindqvist', 'name.formatted is untouched');
      assert.equal(res.body[ENTERPRISE].employeeNumber, '4711');
      assert.equal(res.body.emails[0].value, 'lena.lindqvist@komvux-norr.se');
      assert.equal(res.body['name.givenName'], undefined, 'the dotted key is a path, not an attribute');
      const row = await storedUser(userId);
      assert.equal(row.data.name.givenName, 'Lena');
      assert.equal(row.data[ENTERPRISE].employeeNumber, '4711');
    });

    it('adds a single-valued string attribute with "Add" (without aadOptscim062020) and with "add" (with it)', async () => {
      const first = await scim.patch(`/Users/${userId}`, entraPatch({ op: 'Add', path: 'nickName', value: 'Babs' }));
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.nickName, 'Babs');
      const second = await scim.patch(`/Users/${userId}`, entraPatch({ op: 'add', path: 'title', value: 'Studievägledare' }));
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.title, 'Studievägledare');
      assert.equal(second.body.nickName, 'Babs');
    });

    it('"Add" to emails[type eq "work"].value replaces the existing work address, never a second work e-mail', async () => {
      const res = await scim.patch(`/Users/${userId}`, entraPatch(
        { op: 'Replace', path: 'title', value: 'Lärare' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'lena.ny@komvux-norr.se' },
      ));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const work = res.body.emails.filter((e: { type: string }) => e.type === 'work');
      assert.deepEqual(work.map((e: { value: string }) => e.value), ['lena.ny@komvux-norr.se']);
      assert.equal(res.body.title, 'Lärare');
    });

    it('"Add" to emails[type eq "work"].value on a user with no work e-mail creates it', async () => {
      const created = await scim.post('/Users', entraUser('no.work.mail@komvux-norr.se', 'ext-no-work', { emails: [] }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const res = await scim.patch(`/Users/${created.body.id}`, entraPatch(
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'first.work@komvux-norr.se' },
      ));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.emails.map((e: { type: string; value: string }) => [e.type, e.value]),
        [['work', 'first.work@komvux-norr.se']],
      );
    });

    it('sets the enterprise manager from a bare id on the extension path ("Add" …enterprise:2.0:User:manager)', async () => {
      const boss = await scim.post('/Users', entraUser('rektor.boss@komvux-norr.se', 'ext-boss'));
      assert.equal(boss.status, 201);
      const res = await scim.patch(`/Users/${userId}`, entraPatch(
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: boss.body.id },
      ));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body[ENTERPRISE].manager.value, boss.body.id);
      assert.equal(res.body[ENTERPRISE].department, 'Vuxenutbildning');
      assert.equal((await storedUser(userId)).data[ENTERPRISE].manager.value, boss.body.id);
    });

    it('sets the manager from the body of example 5: path "manager", value [{"$ref", "value"}]', async () => {
      const boss = await scim.post('/Users', entraUser('chef.two@komvux-norr.se', 'ext-boss-2'));
      assert.equal(boss.status, 201);
      const res = await scim.patch(`/Users/${userId}`, entraPatch({
        op: 'Add',
        path: 'manager',
        value: [{ $ref: `http://127.0.0.1/scim/v2/Users/${boss.body.id}`, value: boss.body.id }],
      }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body[ENTERPRISE].manager.value, boss.body.id);
    });
  });

  describe('Disable User', () => {
    it('disables with Replace active "False" (a string), 200 with active false, stored', async () => {
      const res = await scim.patch(`/Users/${userId}`, entraPatch({ op: 'Replace', path: 'active', value: 'False' }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.active, false);
      assert.equal((await storedUser(userId)).active, false);
      // The user is still returned while disabled (tutorial: soft delete).
      const found = await scim.get(`/Users?filter=${q(`userName eq "${userName}"`)}`);
      assert.equal(found.body.totalResults, 1);
      assert.equal(found.body.Resources[0].active, false);
    });

    it('restores with Replace active "True", and disables again with the aadOptscim062020 body (a boolean)', async () => {
      const restored = await scim.patch(`/Users/${userId}`, entraPatch({ op: 'Replace', path: 'active', value: 'True' }));
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      assert.equal(restored.body.active, true);
      assert.equal((await storedUser(userId)).active, true);
      const disabled = await scim.patch(`/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }], schemas: [PATCH_OP] });
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
      assert.equal(disabled.body.active, false);
      assert.equal((await storedUser(userId)).active, false);
      await scim.patch(`/Users/${userId}`, entraPatch({ op: 'Replace', path: 'active', value: 'True' }));
    });

    it('refuses DELETE by a provisioner with 403 and a Swedish detail (SPEC §4, where Entra expects 204); the user stays', async () => {
      const res = await scim.delete(`/Users/${userId}`);
      assertScimError(res, 403);
      assert.match(res.body.detail, /CSN/);
      assert.ok(await storedUser(userId));
      assert.equal((await scim.get(`/Users/${userId}`)).status, 200);
    });
  });

  describe('Group Operations', () => {
    it('matches a catalog group by displayName with members excluded ("Get Group by displayName")', async () => {
      const res = await scim.get(`/Groups?excludedAttributes=members&filter=${q('displayName eq "Studietider och utbildningar"')}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.schemas, [LIST_RESPONSE]);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.startIndex, 1);
      const group = res.body.Resources[0];
      assert.equal(group.displayName, 'Studietider och utbildningar');
      assert.ok(group.schemas.includes(GROUP_SCHEMA));
      assert.equal(group.meta.resourceType, 'Group');
      assert.equal(group.members, undefined);
      groupId = group.id;
    });

    it('finds no group for a name outside the catalog', async () => {
      const res = await scim.get(`/Groups?excludedAttributes=members&filter=${q('displayName eq "Alla lärare"')}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources, []);
    });

    it('returns one group with members excluded ("Get Group")', async () => {
      const res = await scim.get(`/Groups/${groupId}?excludedAttributes=members`);
      assert.equal(res.status, 200);
      assert.equal(res.body.id, groupId);
      assert.equal(res.body.displayName, 'Studietider och utbildningar');
      assert.equal(res.body.members, undefined);
    });

    it('refuses the Entra "Create Group" request with 403 (the catalog owns groups, SPEC §5.2) and creates nothing', async () => {
      const before = Number((await t.testDb.db('groups').count({ n: '*' }).first())!.n);
      const res = await scim.post('/Groups', {
        schemas: [GROUP_SCHEMA, ENTRA_AD_GROUP],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'Alla lärare',
        meta: { resourceType: 'Group' },
      });
      assertScimError(res, 403);
      assert.equal(Number((await t.testDb.db('groups').count({ n: '*' }).first())!.n), before);
    });

    it('"Update Group [Add Members]": Add with "$ref": null, several members in one PATCH, 204 and rows stored', async () => {
      const a = await scim.post('/Users', entraUser('member.a@komvux-norr.se', 'ext-member-a'));
      const b = await scim.post('/Users', entraUser('member.b@komvux-norr.se', 'ext-member-b'));
      const one = await scim.patch(`/Groups/${groupId}`, entraPatch({ op: 'Add', path: 'members', value: [{ $ref: null, value: userId }] }));
      assert.equal(one.status, 204, JSON.stringify(one.body));
      assert.equal(one.text, '');
      const many = await scim.patch(`/Groups/${groupId}`, entraPatch({
        op: 'Add',
        path: 'members',
        value: [{ $ref: null, value: a.body.id }, { $ref: null, value: b.body.id }],
      }));
      assert.equal(many.status, 204, JSON.stringify(many.body));
      assert.deepEqual(await memberIds(groupId), [userId, a.body.id, b.body.id].sort());
      const user = await scim.get(`/Users/${userId}`);
      assert.deepEqual(user.body.groups.map((g: { value: string }) => g.value), [groupId]);
    });

    it('an Add of a member already there changes nothing and still answers 204', async () => {
      const res = await scim.patch(`/Groups/${groupId}`, entraPatch({ op: 'Add', path: 'members', value: [{ $ref: null, value: userId }] }));
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.equal((await memberIds(groupId)).filter((id) => id === userId).length, 1);
    });

    it('"Update Group [Remove Members]": Remove with a value array removes only the listed members, 204', async () => {
      const before = await memberIds(groupId);
      const [keep, drop] = before.filter((id) => id !== userId);
      const res = await scim.patch(`/Groups/${groupId}`, entraPatch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: drop }] }));
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.deepEqual(await memberIds(groupId), [userId, keep].sort());
    });

    it('removes a member with the aadOptscim062020 body: remove with path members[value eq "…"]', async () => {
      const res = await scim.patch(`/Groups/${groupId}`, entraPatch({ op: 'remove', path: `members[value eq "${userId}"]` }));
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.ok(!(await memberIds(groupId)).includes(userId));
      const user = await scim.get(`/Users/${userId}`);
      assert.ok(!(user.body.groups ?? []).some((g: { value: string }) => g.value === groupId));
    });

    it('refuses "Update Group [Non-member attributes]" (a new displayName) with 403: the catalog owns names (SPEC §4)', async () => {
      const res = await scim.patch(`/Groups/${groupId}`, entraPatch({ op: 'Replace', path: 'displayName', value: '1879db59updatedDisplayName' }));
      assertScimError(res, 403);
      const group = await t.testDb.db('groups').where({ id: groupId }).first();
      assert.equal(group.display_name, 'Studietider och utbildningar');
    });

    it('refuses provisioner membership changes of Behörighetsadministratör with 403 and a Swedish detail, all or nothing', async () => {
      const admins = await scim.get(`/Groups?excludedAttributes=members&filter=${q('displayName eq "Behörighetsadministratör"')}`);
      assert.equal(admins.body.totalResults, 1);
      const adminGroup = admins.body.Resources[0].id;
      const res = await scim.patch(`/Groups/${adminGroup}`, entraPatch({ op: 'Add', path: 'members', value: [{ $ref: null, value: userId }] }));
      assertScimError(res, 403);
      assert.match(res.body.detail, /CSN/);
      assert.deepEqual(await memberIds(adminGroup), []);
    });
  });

  describe('in a school where Studeranderapportering is given on a paper form', () => {
    it('refuses an Entra Add of a member to Studeranderapportering with 403 and a Swedish detail; nothing is stored', async () => {
      const org = await t.createOrg({ name: 'Gymnasiet Väst', schoolForm: 'gymnasieskola' });
      const gym = await scimClient(t, org.id, 'provisioner', 'entra-provisioning');
      const user = await gym.post('/Users', entraUser('elev.admin@gymnasiet-vast.se', 'ext-gym-1'));
      assert.equal(user.status, 201);
      const found = await gym.get(`/Groups?excludedAttributes=members&filter=${q('displayName eq "Studeranderapportering"')}`);
      assert.equal(found.body.totalResults, 1);
      const group = found.body.Resources[0].id;
      const res = await gym.patch(`/Groups/${group}`, entraPatch({ op: 'Add', path: 'members', value: [{ $ref: null, value: user.body.id }] }));
      assertScimError(res, 403);
      assert.match(res.body.detail, /blankett/);
      assert.deepEqual(await memberIds(group), []);
    });
  });
});
