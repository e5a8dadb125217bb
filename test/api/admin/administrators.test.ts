import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, PATCH_OP, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';
import { swedishDate } from '../../../src/domain/administrators.ts';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe('/admin/v1/organisations/:orgId/administrators (SPEC §3.5)', () => {
  let t: TestApp;
  let op: string;
  let school: ScimClient;
  let municipality: ScimClient;
  let schoolAdminGroup: string;
  let municipalityAdminGroup: string;

  before(async () => {
    t = await createTestApp();
    op = await t.operatorToken();
    school = await scimClient(t, (await t.createOrg({ name: 'Försäkransgymnasiet' })).id, 'provisioner');
    municipality = await scimClient(t, (await t.createOrg({ name: 'Försäkranskommunen', type: 'municipality', schoolForm: undefined })).id, 'provisioner');
    schoolAdminGroup = await school.groupId('behorighetsadministrator');
    municipalityAdminGroup = await municipality.groupId('behorighetsadministrator');
  });
  after(() => t.close());

  const path = (orgId: string, userId?: string) => `/admin/v1/organisations/${orgId}/administrators${userId ? `/${userId}` : ''}`;
  const grant = (orgId: string, body: Record<string, unknown>, token = op) =>
    t.http().post(path(orgId)).set('Authorization', `Bearer ${token}`).send(body);
  const revoke = (orgId: string, userId: string, token = op) => t.http().delete(path(orgId, userId)).set('Authorization', `Bearer ${token}`);
  const list = (orgId: string) => t.http().get(path(orgId)).set('Authorization', `Bearer ${op}`);
  const declaration = (userId: string, extra: Record<string, unknown> = {}) => ({
    userId,
    reference: 'CSN-2026-0001',
    signedBy: 'Rut Rektorsson',
    signedByTitle: 'rektor',
    signedAt: '2026-01-15',
    ...extra,
  });

  const memberIds = async (groupId: string) => (await t.testDb.db('memberships').where({ group_id: groupId }).pluck('user_id')) as string[];
  const declarationsOf = (userId: string) => t.testDb.db('admin_declarations').where({ user_id: userId }).orderBy('granted_at');

  describe('POST — grant with a declaration', () => {
    it('adds the user to the admin group and stores the declaration; 201 with both', async () => {
      const user = await school.createUser('anna.admin');
      const res = await grant(school.orgId, declaration(user.id));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.headers.location, path(school.orgId, user.id));
      assert.equal(res.body.userId, user.id);
      assert.equal(res.body.userName, 'anna.admin');
      assert.equal(res.body.reference, 'CSN-2026-0001');
      assert.equal(res.body.signedBy, 'Rut Rektorsson');
      assert.equal(res.body.signedByTitle, 'rektor');
      assert.equal(res.body.signedAt, '2026-01-15');
      assert.equal(res.body.grantedBy, 'operator-tester');
      assert.match(res.body.grantedAt, /^\d{4}-\d{2}-\d{2}T/);

      assert.deepEqual(await memberIds(schoolAdminGroup), [user.id]);
      const [stored] = await declarationsOf(user.id);
      assert.equal(stored.org_id, school.orgId);
      assert.equal(stored.revoked_at, null);
      const shown = await school.get(`/Users/${user.id}`);
      assert.deepEqual(shown.body.groups.map((g: { display: string }) => g.display), ['Behörighetsadministratör']);

      const actions = await t.testDb.db('audit_events').where({ org_id: school.orgId, actor_role: 'operator' }).whereIn('action', ['admin.grant', 'group.members']).pluck('action');
      assert.deepEqual(actions.sort(), ['admin.grant', 'group.members']);
      const event = await t.testDb.db('audit_events').where({ action: 'admin.grant', resource_id: user.id }).first();
      assert.deepEqual(event.changes.signedByTitle, { after: 'rektor' });
    });

    it('grants in a municipality with a förvaltningschef, title written in any case', async () => {
      const user = await municipality.createUser('kim.kommun');
      const res = await grant(municipality.orgId, declaration(user.id, { signedByTitle: 'Forvaltningschef', signedBy: 'Frida Förvaltning' }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.signedByTitle, 'forvaltningschef');
      assert.deepEqual(await memberIds(municipalityAdminGroup), [user.id]);
    });

    it('accepts a declaration signed today (Swedish date)', async () => {
      const user = await school.createUser('idag.signerad');
      const res = await grant(school.orgId, declaration(user.id, { signedAt: swedishDate(new Date()) }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    });

    it('refuses to grant an admin twice with 409 and keeps one declaration', async () => {
      const user = await school.createUser('dubbel.admin');
      assert.equal((await grant(school.orgId, declaration(user.id))).status, 201);
      const again = await grant(school.orgId, declaration(user.id, { reference: 'CSN-2026-0002' }));
      assert.equal(again.status, 409);
      assert.match(again.body.detail, /already an administrator/);
      assert.equal((await declarationsOf(user.id)).length, 1);
    });

    it('five grants of one user at once: one 201, the others 409, one declaration and one membership', async () => {
      const user = await school.createUser('samtidig.admin');
      const statuses = (await Promise.all(Array.from({ length: 5 }, (_, i) => grant(school.orgId, declaration(user.id, { reference: `R-${i}` }))))).map((r) => r.status);
      assert.deepEqual(statuses.sort(), [201, 409, 409, 409, 409]);
      assert.equal((await declarationsOf(user.id)).length, 1);
      assert.equal((await memberIds(schoolAdminGroup)).filter((id) => id === user.id).length, 1);
    });

    const invalid: [string, Record<string, unknown>, RegExp][] = [
      ['a förvaltningschef for a school', { signedByTitle: 'forvaltningschef' }, /signedByTitle must be "rektor"/],
      ['another title', { signedByTitle: 'vd' }, /signedByTitle must be "rektor"/],
      ['no reference', { reference: undefined }, /reference is required/],
      ['an empty signedBy', { signedBy: '  ' }, /signedBy is required/],
      ['no signedByTitle', { signedByTitle: undefined }, /signedByTitle is required/],
      ['no signedAt', { signedAt: undefined }, /signedAt is required/],
      ['a date that does not exist', { signedAt: '2026-02-30' }, /YYYY-MM-DD/],
      ['a date in another format', { signedAt: '15/01/2026' }, /YYYY-MM-DD/],
      ['a date and time', { signedAt: '2026-01-15T10:00:00Z' }, /YYYY-MM-DD/],
      ['a date in the future', { signedAt: swedishDate(new Date(Date.now() + 2 * 86_400_000)) }, /in the future/],
      ['a number as reference', { reference: 42 }, /reference is required/],
      ['an unknown attribute', { colour: 'blue' }, /unknown attribute/],
    ];
    for (const [what, change, detail] of invalid) {
      it(`refuses ${what} with 400 and stores nothing`, async () => {
        const user = await school.createUser(`ogiltig.${crypto.randomUUID().slice(0, 8)}`);
        const res = await grant(school.orgId, declaration(user.id, change));
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.match(res.body.detail, detail);
        assert.deepEqual(await declarationsOf(user.id), []);
        assert.ok(!(await memberIds(schoolAdminGroup)).includes(user.id));
      });
    }

    it('refuses a rektor for a municipality with 400', async () => {
      const user = await municipality.createUser('rektor.i.kommunen');
      const res = await grant(municipality.orgId, declaration(user.id));
      assert.equal(res.status, 400);
      assert.match(res.body.detail, /signedByTitle must be "forvaltningschef"/);
      assert.deepEqual(await declarationsOf(user.id), []);
    });

    it('answers 404 for a user of another organisation, an unknown user and an unknown organisation', async () => {
      const neighbour = await municipality.createUser('granne.kommun');
      const cases: [string, string][] = [
        [school.orgId, neighbour.id],
        [school.orgId, crypto.randomUUID()],
        [school.orgId, 'not-a-uuid'],
        [crypto.randomUUID(), neighbour.id],
      ];
      for (const [orgId, userId] of cases) {
        const res = await grant(orgId, declaration(userId));
        assert.equal(res.status, 404, `${orgId} ${userId}: ${JSON.stringify(res.body)}`);
      }
      assert.deepEqual(await declarationsOf(neighbour.id), []);
      assert.ok(!(await memberIds(schoolAdminGroup)).includes(neighbour.id));
    });

    it('is for operators only: admin and provisioner tokens get 403', async () => {
      const user = await school.createUser('ej.operator');
      for (const role of ['admin', 'provisioner'] as const) {
        const token = await t.token(role, school.orgId);
        assert.equal((await grant(school.orgId, declaration(user.id), token)).status, 403);
        assert.equal((await t.http().get(path(school.orgId)).set('Authorization', `Bearer ${token}`)).status, 403);
      }
      assert.deepEqual(await declarationsOf(user.id), []);
    });
  });

  describe('SCIM cannot change the admin group (SPEC §4)', () => {
    let user: Record<string, any>;
    let admin: Record<string, any>;
    before(async () => {
      user = await school.createUser('scim.vill.bli.admin');
      admin = await school.createUser('redan.admin');
      assert.equal((await grant(school.orgId, declaration(admin.id))).status, 201);
    });

    for (const role of ['provisioner', 'admin', 'operator'] as const) {
      it(`PATCH add by ${role} is 403 and adds no membership`, async () => {
        const client = await scimClient(t, school.orgId, role);
        const res = await client.patch(`/Groups/${schoolAdminGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }));
        assert.equal(res.status, 403);
        assert.match(res.body.detail, /försäkran/);
        assert.ok(!(await memberIds(schoolAdminGroup)).includes(user.id));
      });

      it(`PATCH remove by ${role} is 403 and the admin stays`, async () => {
        const client = await scimClient(t, school.orgId, role);
        const res = await client.patch(`/Groups/${schoolAdminGroup}`, patchOp({ op: 'remove', path: `members[value eq "${admin.id}"]` }));
        assert.equal(res.status, 403);
        assert.ok((await memberIds(schoolAdminGroup)).includes(admin.id));
      });
    }

    it('PUT with members is 403 and leaves the members as they were', async () => {
      const before = (await memberIds(schoolAdminGroup)).sort();
      const res = await school.put(`/Groups/${schoolAdminGroup}`, { schemas: [GROUP_SCHEMA], displayName: 'Behörighetsadministratör', members: [{ value: user.id }] });
      assert.equal(res.status, 403);
      assert.deepEqual((await memberIds(schoolAdminGroup)).sort(), before);
    });

    it('a Bulk PATCH is refused in its operation and adds nothing', async () => {
      const res = await school.post('/Bulk', {
        schemas: [BULK_REQUEST],
        Operations: [{ method: 'PATCH', path: `/Groups/${schoolAdminGroup}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }] } }],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.Operations[0].status, '403');
      assert.ok(!(await memberIds(schoolAdminGroup)).includes(user.id));
    });

    it('the operator API grant of the same user works', async () => {
      assert.equal((await grant(school.orgId, declaration(user.id))).status, 201);
      assert.ok((await memberIds(schoolAdminGroup)).includes(user.id));
    });
  });

  describe('GET — the admins with their declarations', () => {
    it('lists the current admins by userName, and shows one', async () => {
      const org = await scimClient(t, (await t.createOrg({ name: 'Listskolan' })).id, 'provisioner');
      const bertil = await org.createUser('bertil.b');
      const adam = await org.createUser('adam.a');
      await org.createUser('inte.admin');
      for (const u of [bertil, adam]) assert.equal((await grant(org.orgId, declaration(u.id))).status, 201);
      const res = await list(org.orgId);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.map((a: { userName: string }) => a.userName), ['adam.a', 'bertil.b']);
      for (const key of ['userId', 'userName', 'reference', 'signedBy', 'signedByTitle', 'signedAt', 'grantedBy', 'grantedAt']) {
        assert.notEqual(res.body[0][key], undefined, key);
      }
      const one = await t.http().get(path(org.orgId, adam.id)).set('Authorization', `Bearer ${op}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, res.body[0]);
      const none = await t.http().get(path(org.orgId, crypto.randomUUID())).set('Authorization', `Bearer ${op}`);
      assert.equal(none.status, 404);
    });

    it('answers 404 for an unknown organisation', async () => {
      assert.equal((await list(crypto.randomUUID())).status, 404);
    });
  });

  describe('DELETE — revoke', () => {
    it('removes the membership, keeps the declaration marked revoked, 204; then 404', async () => {
      const user = await school.createUser('avgar.admin');
      assert.equal((await grant(school.orgId, declaration(user.id))).status, 201);
      const res = await revoke(school.orgId, user.id);
      assert.equal(res.status, 204);
      assert.ok(!(await memberIds(schoolAdminGroup)).includes(user.id));
      const [stored] = await declarationsOf(user.id);
      assert.ok(stored.revoked_at);
      assert.equal(stored.revoked_by, 'operator-tester');
      assert.ok(!(await list(school.orgId)).body.some((a: { userId: string }) => a.userId === user.id));
      const event = await t.testDb.db('audit_events').where({ action: 'admin.revoke', resource_id: user.id }).first();
      assert.deepEqual(event.changes.declaration, { before: stored.id, after: null });
      assert.equal((await revoke(school.orgId, user.id)).status, 404);
    });

    it('may grant again after a revoke; both declarations stay as history', async () => {
      const user = await school.createUser('tillbaka.admin');
      assert.equal((await grant(school.orgId, declaration(user.id))).status, 201);
      assert.equal((await revoke(school.orgId, user.id)).status, 204);
      assert.equal((await grant(school.orgId, declaration(user.id, { reference: 'CSN-2026-0099' }))).status, 201);
      const history = await declarationsOf(user.id);
      assert.equal(history.length, 2);
      assert.ok(history[0].revoked_at);
      assert.equal(history[1].revoked_at, null);
    });

    it('answers 404 for a user who is no admin, an unknown user and an unknown organisation', async () => {
      const user = await school.createUser('aldrig.admin');
      assert.equal((await revoke(school.orgId, user.id)).status, 404);
      assert.equal((await revoke(school.orgId, 'not-a-uuid')).status, 404);
      assert.equal((await revoke(crypto.randomUUID(), user.id)).status, 404);
    });

    it('does not revoke an admin of another organisation through this one', async () => {
      const user = await municipality.createUser('kommunadmin.kvar');
      assert.equal((await grant(municipality.orgId, declaration(user.id, { signedByTitle: 'forvaltningschef' }))).status, 201);
      assert.equal((await revoke(school.orgId, user.id)).status, 404);
      assert.ok((await memberIds(municipalityAdminGroup)).includes(user.id));
    });

    it('is for operators only', async () => {
      const user = await school.createUser('skyddad.admin');
      assert.equal((await grant(school.orgId, declaration(user.id))).status, 201);
      assert.equal((await revoke(school.orgId, user.id, await t.token('admin', school.orgId))).status, 403);
      assert.ok((await memberIds(schoolAdminGroup)).includes(user.id));
    });
  });
});
