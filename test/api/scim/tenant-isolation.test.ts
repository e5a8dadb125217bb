import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, PATCH_OP, SEARCH_REQUEST, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

describe('tenant isolation: every verb, seen from the other organisation', () => {
  let t: TestApp;
  let a: ScimClient;
  let b: ScimClient;
  let victim: Record<string, any>;
  let victimGroup: string;
  let intruder: Record<string, any>;
  let victimVersion: string;

  before(async () => {
    t = await createTestApp();
    a = await scimClient(t, (await t.createOrg({ name: 'Skola A', schoolForm: 'hogskola' })).id, 'admin');
    b = await scimClient(t, (await t.createOrg({ name: 'Skola B', schoolForm: 'hogskola' })).id, 'admin');
    victim = await a.createUser('victim@a.se', { externalId: 'A-1', title: 'Original' });
    victimGroup = await a.groupId('studietider-och-utbildningar');
    await a.patch(`/Groups/${victimGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: victim.id }] }));
    intruder = await b.createUser('intruder@b.se');
    victimVersion = (await a.get(`/Users/${victim.id}`)).body.meta.version;
  });
  after(() => t.close());

  const unchanged = async () => {
    const user = await a.get(`/Users/${victim.id}`);
    assert.equal(user.body.title, 'Original');
    assert.equal(user.body.meta.version, victimVersion);
    const members = await t.testDb.db('memberships').where({ group_id: victimGroup }).pluck('user_id');
    assert.deepEqual(members, [victim.id]);
  };

  it('GET, PUT, PATCH and DELETE of the other organisation’s user are 404', async () => {
    assert.equal((await b.get(`/Users/${victim.id}`)).status, 404);
    assert.equal((await b.put(`/Users/${victim.id}`, { schemas: [USER_SCHEMA], userName: 'victim@a.se', title: 'Hacked' })).status, 404);
    assert.equal((await b.patch(`/Users/${victim.id}`, patchOp({ op: 'replace', path: 'title', value: 'Hacked' }))).status, 404);
    const operatorInB = await scimClient(t, b.orgId, 'operator');
    assert.equal((await operatorInB.delete(`/Users/${victim.id}`)).status, 404);
    await unchanged();
  });

  it('GET, PUT and PATCH of the other organisation’s group are 404; its members cannot be added to mine', async () => {
    assert.equal((await b.get(`/Groups/${victimGroup}`)).status, 404);
    assert.equal((await b.patch(`/Groups/${victimGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: intruder.id }] }))).status, 404);
    assert.equal((await b.put(`/Groups/${victimGroup}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Studietider och utbildningar', members: [] })).status, 404);
    const mine = await b.groupId('studietider-och-utbildningar');
    const res = await b.patch(`/Groups/${mine}`, patchOp({ op: 'add', path: 'members', value: [{ value: victim.id }] }));
    assert.equal(res.status, 400);
    assert.equal(res.body.scimType, 'invalidValue');
    await unchanged();
  });

  it('lists, filters and searches never show the other organisation’s resources', async () => {
    const list = await b.get('/Users');
    assert.deepEqual(list.body.Resources.map((u: { id: string }) => u.id), [intruder.id]);
    for (const filter of [`id eq "${victim.id}"`, 'userName eq "victim@a.se"', 'externalId eq "A-1"', `groups.value eq "${victimGroup}"`]) {
      const res = await b.get(`/Users?filter=${encodeURIComponent(filter)}`);
      assert.equal(res.body.totalResults, 0, filter);
    }
    const groups = await b.get(`/Groups?filter=${encodeURIComponent(`members.value eq "${victim.id}"`)}`);
    assert.equal(groups.body.totalResults, 0);
    const search = await b.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'userName eq "victim@a.se"' });
    assert.equal(search.body.totalResults, 0);
  });

  it('Bulk cannot reach the other organisation’s resources', async () => {
    const res = await b.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'PATCH', path: `/Users/${victim.id}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Hacked' }] } },
        { method: 'PUT', path: `/Users/${victim.id}`, data: { schemas: [USER_SCHEMA], userName: 'victim@a.se' } },
        { method: 'PATCH', path: `/Groups/${victimGroup}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] } },
      ],
    });
    assert.deepEqual(res.body.Operations.map((o: { status: string }) => o.status), ['404', '404', '404']);
    await unchanged();
  });

  it('a token cannot be pointed at another organisation', async () => {
    // The token's org claim decides the tenant; nothing in the request can change it.
    const res = await b.get(`/Users?filter=${encodeURIComponent(`urn:identity-manager:params:scim:schemas:extension:2.0:User:organisationId eq "${a.orgId}"`)}`);
    assert.equal(res.body.totalResults, 0);
  });
});
