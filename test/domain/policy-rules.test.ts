import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { BULK_REQUEST, IDM_GROUP, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../helpers/scim.ts';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * SPEC §4 from both sides: each rule is refused to those it must refuse, through every path a
 * client has (PATCH, PUT, Bulk), and allowed to those it must allow. A refusal changes nothing.
 */
describe('the rules of SPEC §4', () => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const members = async (groupId: string) => (await t.testDb.db('memberships').where({ group_id: groupId }).pluck('user_id')) as string[];

  async function school(body: Record<string, unknown>) {
    const org = await t.createOrg(body);
    const provisioner = await scimClient(t, org.id, 'provisioner');
    const admin = await scimClient(t, org.id, 'admin');
    const operator = await scimClient(t, org.id, 'operator');
    return { org, provisioner, admin, operator };
  }

  const addVia = {
    PATCH: (c: ScimClient, group: string, user: string) => c.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: user }] })),
    PUT: (c: ScimClient, group: string, user: string, displayName: string) =>
      c.put(`/Groups/${group}`, { schemas: [GROUP_SCHEMA], displayName, members: [{ value: user }] }),
    Bulk: async (c: ScimClient, group: string, user: string) => {
      const res = await c.post('/Bulk', { schemas: [BULK_REQUEST], Operations: [{ method: 'PATCH', path: `/Groups/${group}`, data: patchOp({ op: 'add', path: 'members', value: [{ value: user }] }) }] });
      return { status: Number(res.body.Operations[0].status), body: res.body.Operations[0].response ?? {} };
    },
  };

  describe('Studeranderapportering at a form-only school (gymnasieskola)', () => {
    let s: Awaited<ReturnType<typeof school>>;
    let group: string;
    let user: Record<string, any>;
    before(async () => {
      s = await school({ name: 'Gymnasiet', schoolForm: 'gymnasieskola' });
      group = await s.provisioner.groupId('studeranderapportering');
      user = await s.provisioner.createUser('elev.rapport@gy.se');
    });

    it('shows formOnly true on the group', async () => {
      const res = await s.admin.get(`/Groups/${group}?excludedAttributes=members`);
      assert.equal(res.body[IDM_GROUP].formOnly, true);
    });

    for (const role of ['admin', 'provisioner'] as const) {
      for (const via of ['PATCH', 'PUT', 'Bulk'] as const) {
        it(`refuses ${role} via ${via} with 403 and a Swedish detail about the paper form; nothing stored`, async () => {
          const res = await addVia[via](s[role], group, user.id, 'Studeranderapportering');
          assert.equal(res.status, 403);
          assert.match(res.body.detail, /blankett/);
          assert.deepEqual(await members(group), []);
        });
      }
    }

    it('allows the operator, and then refuses the admin a removal too', async () => {
      const res = await addVia.PATCH(s.operator, group, user.id);
      assert.equal(res.status, 204);
      assert.deepEqual(await members(group), [user.id]);
      const removal = await s.admin.patch(`/Groups/${group}`, patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` }));
      assert.equal(removal.status, 403);
      assert.deepEqual(await members(group), [user.id]);
    });

    it('leaves the other service to the admin', async () => {
      const other = await s.admin.groupId('studietider-och-utbildningar');
      assert.equal((await addVia.PATCH(s.admin, other, user.id)).status, 204);
    });
  });

  // SPEC §3.2: form-only when the form is gymnasieskola or konst-och-kulturskola, or komvux or
  // folkhögskola that does not report by file. Granting and removing alike.
  const formOnly: [string, Record<string, unknown>][] = [
    ['konst-och-kulturskola', { schoolForm: 'konst-och-kulturskola' }],
    ['folkhögskola not reporting by file', { schoolForm: 'folkhogskola', reportsViaFile: false }],
    ['komvux not reporting by file', { schoolForm: 'komvux', reportsViaFile: false }],
  ];
  for (const [name, form] of formOnly) {
    describe(`Studeranderapportering at a form-only school (${name})`, () => {
      let s: Awaited<ReturnType<typeof school>>;
      let group: string;
      let user: Record<string, any>;
      before(async () => {
        s = await school({ name: `Skola ${name}`, ...form });
        group = await s.provisioner.groupId('studeranderapportering');
        user = await s.provisioner.createUser(`elev.${name.replace(/\W/g, '')}@form.se`);
      });

      it('shows formOnly true and refuses a grant by admin and provisioner (PATCH, PUT, Bulk)', async () => {
        assert.equal((await s.admin.get(`/Groups/${group}?excludedAttributes=members`)).body[IDM_GROUP].formOnly, true);
        for (const role of ['admin', 'provisioner'] as const) {
          for (const via of ['PATCH', 'PUT', 'Bulk'] as const) {
            const res = await addVia[via](s[role], group, user.id, 'Studeranderapportering');
            assert.equal(res.status, 403, `${role} via ${via}`);
            assert.match(res.body.detail, /blankett/);
          }
        }
        assert.deepEqual(await members(group), []);
      });

      it('lets the operator grant; refuses removal by provisioner and admin (filter, value list, PUT); lets the operator remove', async () => {
        assert.equal((await addVia.PATCH(s.operator, group, user.id)).status, 204);
        const removals = [
          (c: ScimClient) => c.patch(`/Groups/${group}`, patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` })),
          (c: ScimClient) => c.patch(`/Groups/${group}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: user.id }] })),
          (c: ScimClient) => c.patch(`/Groups/${group}`, patchOp({ op: 'remove', path: 'members' })),
          (c: ScimClient) => c.put(`/Groups/${group}`, { schemas: [GROUP_SCHEMA], displayName: 'Studeranderapportering', members: [] }),
        ];
        for (const role of ['provisioner', 'admin'] as const) {
          for (const remove of removals) {
            const res = await remove(s[role]);
            assert.equal(res.status, 403, role);
            assert.match(res.body.detail, /blankett/);
          }
        }
        assert.deepEqual(await members(group), [user.id]);
        assert.equal((await removals[0](s.operator)).status, 204);
        assert.deepEqual(await members(group), []);
      });
    });
  }

  it('folkhögskola reporting by file is not form-only: the admin grants and removes', async () => {
    const s = await school({ name: 'Folkhögskola med fil', schoolForm: 'folkhogskola', reportsViaFile: true });
    const group = await s.admin.groupId('studeranderapportering');
    const user = await s.admin.createUser('fil@folkhogskola.se');
    assert.equal((await s.admin.get(`/Groups/${group}?excludedAttributes=members`)).body[IDM_GROUP].formOnly, false);
    assert.equal((await addVia.PATCH(s.admin, group, user.id)).status, 204);
    assert.equal((await s.provisioner.patch(`/Groups/${group}`, patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` }))).status, 204);
    assert.deepEqual(await members(group), []);
  });

  describe('the rule follows the organisation’s school form and reportsViaFile', () => {
    it('komvux reporting via file: allowed; after reportsViaFile=false: refused, existing members stay', async () => {
      const s = await school({ name: 'Komvux Väst', schoolForm: 'komvux', reportsViaFile: true });
      const group = await s.admin.groupId('studeranderapportering');
      const first = await s.admin.createUser('first@komvux.se');
      const second = await s.admin.createUser('second@komvux.se');
      assert.equal((await addVia.PATCH(s.admin, group, first.id)).status, 204);

      const op = await t.operatorToken();
      const changed = await t.http().patch(`/admin/v1/organisations/${s.org.id}`).set('Authorization', `Bearer ${op}`).send({ reportsViaFile: false });
      assert.equal(changed.status, 200);

      const refused = await addVia.PATCH(s.admin, group, second.id);
      assert.equal(refused.status, 403);
      assert.deepEqual(await members(group), [first.id], 'the membership granted before the change stays');
      assert.equal((await s.admin.get(`/Groups/${group}?excludedAttributes=members`)).body[IDM_GROUP].formOnly, true);

      await t.http().patch(`/admin/v1/organisations/${s.org.id}`).set('Authorization', `Bearer ${op}`).send({ schoolForm: 'hogskola' });
      assert.equal((await addVia.PATCH(s.admin, group, second.id)).status, 204);
    });
  });

  describe('Behörighetsadministratör', () => {
    it('is refused to every SCIM path and every role, the operator included', async () => {
      const s = await school({ name: 'Adminskolan', schoolForm: 'hogskola' });
      const group = await s.admin.groupId('behorighetsadministrator');
      const user = await s.admin.createUser('would.be.admin@skola.se');
      for (const role of ['admin', 'provisioner', 'operator'] as const) {
        for (const via of ['PATCH', 'PUT', 'Bulk'] as const) {
          const res = await addVia[via](s[role], group, user.id, 'Behörighetsadministratör');
          assert.equal(res.status, 403, `${role} via ${via}`);
          assert.match(res.body.detail, /försäkran/);
        }
      }
      assert.deepEqual(await members(group), []);
    });
  });

  describe('a request with one refused change is refused whole', () => {
    it('a user PATCH by an admin that also writes a password stores nothing', async () => {
      const s = await school({ name: 'Helhetsskolan', schoolForm: 'hogskola' });
      const user = await s.admin.createUser('whole@skola.se', { title: 'Före' });
      const res = await s.admin.patch(`/Users/${user.id}`, patchOp(
        { op: 'replace', path: 'title', value: 'Efter' },
        { op: 'replace', path: 'password', value: 'Hemligt123' },
      ));
      assert.equal(res.status, 403);
      const now = await s.admin.get(`/Users/${user.id}`);
      assert.equal(now.body.title, 'Före');
      assert.equal(now.body.meta.version, user.meta.version);
      assert.equal((await t.testDb.db('users').where({ id: user.id }).first()).password_hash, null);
    });

    it('a PUT by a provisioner with a password is allowed and stored hashed', async () => {
      const s = await school({ name: 'Lösenordsskolan', schoolForm: 'hogskola' });
      const user = await s.provisioner.createUser('pw@skola.se');
      const res = await s.provisioner.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'pw@skola.se', password: 'Hemligt123' });
      assert.equal(res.status, 200);
      assert.equal(res.body.password, undefined);
      assert.match((await t.testDb.db('users').where({ id: user.id }).first()).password_hash, /^scrypt\$/);
    });

    it('a group PUT that renames and adds members changes neither', async () => {
      const s = await school({ name: 'Namnskolan', schoolForm: 'hogskola' });
      const group = await s.admin.groupId('studietider-och-utbildningar');
      const user = await s.admin.createUser('rename@skola.se');
      const res = await addVia.PUT(s.admin, group, user.id, 'Eget namn');
      assert.equal(res.status, 403);
      assert.deepEqual(await members(group), []);
      assert.equal((await s.admin.get(`/Groups/${group}?excludedAttributes=members`)).body.displayName, 'Studietider och utbildningar');
    });
  });

  describe('DELETE /Users', () => {
    it('is refused to admin and provisioner through SCIM and Bulk, allowed to the operator', async () => {
      const s = await school({ name: 'Raderaskolan', schoolForm: 'hogskola' });
      const user = await s.admin.createUser('delete.rule@skola.se');
      for (const role of ['admin', 'provisioner'] as const) {
        const res = await s[role].delete(`/Users/${user.id}`);
        assert.equal(res.status, 403);
        assert.match(res.body.detail, /CSN/);
        const bulk = await s[role].post('/Bulk', { schemas: [BULK_REQUEST], Operations: [{ method: 'DELETE', path: `/Users/${user.id}` }] });
        assert.equal(bulk.body.Operations[0].status, '403');
      }
      assert.equal((await s.admin.get(`/Users/${user.id}`)).status, 200);
      const bulk = await s.operator.post('/Bulk', { schemas: [BULK_REQUEST], Operations: [{ method: 'DELETE', path: `/Users/${user.id}` }] });
      assert.equal(bulk.body.Operations[0].status, '204');
      assert.equal((await s.admin.get(`/Users/${user.id}`)).status, 404);
    });
  });
});
