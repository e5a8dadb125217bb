import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { BULK_REQUEST, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../helpers/scim.ts';
import { recordSecret } from '../helpers/secrets.ts';
import { RULES, mayWritePassword } from '../../src/domain/policy.ts';
import type { Principal, PrincipalRole } from '../../src/auth/tokens.ts';

const NEW_PASSWORD = recordSecret('Overtagen123');

/**
 * SPEC §3.4: the password of an admin (a member of behorighetsadministrator) is written only by an
 * operator or by the admin through /auth. A provisioner that could write it could sign in as the
 * admin and reach /api/v1, which its own token may not.
 */
describe('writing the password of an admin', () => {
  let t: TestApp;
  let provisioner: ScimClient;
  let admin: ScimClient;
  let operator: ScimClient;
  let target: { id: string; userName: string };

  before(async () => {
    t = await createTestApp();
    const org = await t.createOrg({ name: 'Adminskolan', schoolForm: 'hogskola' });
    provisioner = await scimClient(t, org.id, 'provisioner');
    admin = await scimClient(t, org.id, 'admin');
    operator = await scimClient(t, org.id, 'operator');
    const user = await provisioner.createUser('utsedd.admin');
    target = { id: user.id, userName: user.userName };
    const granted = await t.http()
      .post(`/admin/v1/organisations/${org.id}/administrators`)
      .set('Authorization', `Bearer ${await t.operatorToken()}`)
      .send({ userId: user.id, reference: 'CSN-2026-0042', signedBy: 'Rut Rektorsson', signedByTitle: 'rektor', signedAt: '2026-01-15' });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
  });
  after(() => t.close());

  const stored = () => t.testDb.db('users').where({ id: target.id }).first();
  const fullUser = (password: string) => ({
    schemas: [USER_SCHEMA],
    userName: target.userName,
    emails: [{ value: 'utsedd.admin@example.se', type: 'work', primary: true }],
    password,
  });
  const writes: Record<string, (c: ScimClient) => Promise<{ status: number; body: Record<string, any> }>> = {
    'PUT': (c) => c.put(`/Users/${target.id}`, fullUser(NEW_PASSWORD)),
    'PATCH with a path': (c) => c.patch(`/Users/${target.id}`, patchOp({ op: 'replace', path: 'password', value: NEW_PASSWORD })),
    'PATCH without a path': (c) => c.patch(`/Users/${target.id}`, patchOp({ op: 'replace', value: { password: NEW_PASSWORD, displayName: 'Ändrad' } })),
    'Bulk PUT': async (c) => {
      const res = await c.post('/Bulk', { schemas: [BULK_REQUEST], Operations: [{ method: 'PUT', path: `/Users/${target.id}`, data: fullUser(NEW_PASSWORD) }] });
      return { status: Number(res.body.Operations[0].status), body: res.body.Operations[0].response ?? {} };
    },
    'Bulk PATCH': async (c) => {
      const res = await c.post('/Bulk', { schemas: [BULK_REQUEST], Operations: [{ method: 'PATCH', path: `/Users/${target.id}`, data: patchOp({ op: 'replace', path: 'password', value: NEW_PASSWORD }) }] });
      return { status: Number(res.body.Operations[0].status), body: res.body.Operations[0].response ?? {} };
    },
  };

  for (const [how, write] of Object.entries(writes)) {
    it(`${how} by a provisioner is 403 with a Swedish detail, and stores nothing`, async () => {
      const before = await stored();
      const res = await write(provisioner);
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.match(res.body.detail, /Lösenordet för en behörighetsadministratör kan inte sättas här/);
      const after = await stored();
      assert.equal(after.password_hash, before.password_hash);
      assert.equal(after.version, before.version);
      assert.deepEqual(after.data, before.data);
      const login = await t.http().post('/auth/login').send({ userName: target.userName, password: NEW_PASSWORD });
      assert.equal(login.status, 401, 'the provisioner cannot sign in as the admin');
    });

    it(`${how} by an admin is 403 with a Swedish detail, and stores nothing`, async () => {
      const before = await stored();
      const res = await write(admin);
      assert.equal(res.status, 403);
      assert.match(res.body.detail, /sätter inte andras lösenord/);
      assert.equal((await stored()).version, before.version);
    });
  }

  it('an operator may write it, under the password policy', async () => {
    const res = await operator.patch(`/Users/${target.id}`, patchOp({ op: 'replace', path: 'password', value: recordSecret('Operatorns123') }));
    assert.equal(res.status, 200);
    assert.match((await stored()).password_hash, /^scrypt\$/);
  });

  it('a provisioner still writes the password of a user who is not an admin, and of a user it creates', async () => {
    const plain = await provisioner.createUser('vanlig.anvandare');
    assert.equal((await provisioner.patch(`/Users/${plain.id}`, patchOp({ op: 'replace', path: 'password', value: recordSecret('Vanligt123') }))).status, 200);
    const created = await provisioner.post('/Users', { schemas: [USER_SCHEMA], userName: 'ny.med.losen', password: recordSecret('Nyskapad123') });
    assert.equal(created.status, 201);
  });

  it('the rule lives in policy.ts beside the others', () => {
    const as = (role: PrincipalRole): Principal => ({ role, subject: role, orgId: 'org', jti: 'j', expiresAt: 0 });
    assert.deepEqual(mayWritePassword(as('operator'), { isAdmin: true }), { allowed: true });
    assert.deepEqual(mayWritePassword(as('provisioner'), { isAdmin: false }), { allowed: true });
    assert.equal((mayWritePassword(as('provisioner'), { isAdmin: true }) as { rule: string }).rule, RULES.adminsOwnPassword);
    assert.equal((mayWritePassword(as('admin'), { isAdmin: false }) as { rule: string }).rule, RULES.adminPassword);
  });
});
