import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, ENTERPRISE, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

/**
 * SPEC §4: a reference to another organisation is refused as if it did not exist. The enterprise
 * manager (RFC 7643 §4.3: manager.value is the id of the manager's User) must be a user of the
 * same organisation; one of another organisation, or no user at all, is 400 invalidValue.
 */
describe('enterprise manager.value names a user of the organisation', () => {
  let t: TestApp;
  let scim: ScimClient;
  let boss: Record<string, any>;
  let elsewhere: Record<string, any>;

  before(async () => {
    t = await createTestApp();
    scim = await scimClient(t, (await t.createOrg({ name: 'Chefsskolan', schoolForm: 'hogskola' })).id);
    const other = await scimClient(t, (await t.createOrg({ name: 'Annan huvudman', schoolForm: 'hogskola' })).id);
    boss = await scim.createUser('chefen@chef.se');
    elsewhere = await other.createUser('annan.chef@annan.se');
  });
  after(() => t.close());

  const withManager = (value: string) => ({ [ENTERPRISE]: { manager: { value } } });
  const strangers = () => [elsewhere.id, crypto.randomUUID(), 'not-a-user-id'];
  const refusedAsUnknown = (res: { status: number; body: Record<string, any> }, value: string) => {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.scimType, 'invalidValue');
    assert.match(res.body.detail, new RegExp(`manager.value "${value}" is not a User of this organisation`));
  };
  const storedManager = async (id: string) => ((await t.testDb.db('users').where({ id }).first()).data[ENTERPRISE]?.manager?.value as string | undefined);

  it('POST: a manager of the organisation is stored; another organisation’s, or none at all, is refused alike', async () => {
    const ok = await scim.post('/Users', { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'medarbetare@chef.se', ...withManager(boss.id) });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body[ENTERPRISE].manager.value, boss.id);
    for (const [i, value] of strangers().entries()) {
      refusedAsUnknown(await scim.post('/Users', { schemas: [USER_SCHEMA, ENTERPRISE], userName: `refused.${i}@chef.se`, ...withManager(value) }), value);
    }
    assert.equal(await t.testDb.db('users').where('user_name', 'like', 'refused.%').first(), undefined);
  });

  it('PUT and PATCH (with path, without path, Entra’s bare id) refuse it and change nothing', async () => {
    const user = await scim.createUser('byter.chef@chef.se', { [ENTERPRISE]: { manager: { value: boss.id } } });
    for (const value of strangers()) {
      refusedAsUnknown(await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'byter.chef@chef.se', ...withManager(value) }), value);
      refusedAsUnknown(await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value } })), value);
      refusedAsUnknown(await scim.patch(`/Users/${user.id}`, patchOp({ op: 'Add', path: `${ENTERPRISE}:manager`, value })), value);
      refusedAsUnknown(await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { [`${ENTERPRISE}:manager.value`]: value } })), value);
    }
    assert.equal(await storedManager(user.id), boss.id);
    assert.equal((await scim.get(`/Users/${user.id}`)).body.meta.version, user.meta.version);
  });

  it('Bulk refuses the operation that names another organisation’s user, and creates the others', async () => {
    const res = await scim.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'bulk.stranger@chef.se', ...withManager(elsewhere.id) } },
        { method: 'POST', path: '/Users', bulkId: 'b', data: { schemas: [USER_SCHEMA, ENTERPRISE], userName: 'bulk.ok@chef.se', ...withManager(boss.id) } },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.Operations.map((o: { status: string }) => o.status), ['400', '201']);
    assert.match(res.body.Operations[0].response.detail, /is not a User of this organisation/);
    assert.equal(await t.testDb.db('users').where({ user_name: 'bulk.stranger@chef.se' }).first(), undefined);
  });

  it('accepts a manager id in upper case, and an unchanged manager who has since been deleted', async () => {
    const acting = await scim.createUser('tf.chef@chef.se');
    const user = await scim.createUser('versaler@chef.se', withManager(acting.id.toUpperCase()));
    assert.equal(await storedManager(user.id), acting.id.toUpperCase());
    const operator = await scimClient(t, scim.orgId, 'operator');
    assert.equal((await operator.delete(`/Users/${acting.id}`)).status, 204);
    // A change elsewhere in the user does not re-check a manager it leaves as it was.
    const res = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'title', value: 'Ny titel' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
});
