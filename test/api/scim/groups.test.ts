import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { IDM_GROUP, IDM_USER, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe('/Groups', () => {
  let t: TestApp;
  let scim: ScimClient;
  let other: ScimClient;
  let studietider: string;

  before(async () => {
    t = await createTestApp();
    // komvux reporting via file: Studeranderapportering is not form-only here.
    const org = await t.createOrg({ name: 'Komvux Filrapport', schoolForm: 'komvux', reportsViaFile: true });
    scim = await scimClient(t, org.id, 'provisioner');
    other = await scimClient(t, (await t.createOrg({ name: 'Grannskolan' })).id, 'provisioner');
    studietider = await scim.groupId('studietider-och-utbildningar');
  });
  after(() => t.close());

  const memberIds = async (groupId: string) =>
    (await t.testDb.db('memberships').where({ group_id: groupId }).orderBy('user_id').pluck('user_id')) as string[];

  it('lists the catalog groups of the organisation with the Group extension', async () => {
    const res = await scim.get('/Groups');
    assert.equal(res.status, 200);
    assert.equal(res.body.totalResults, 3);
    const byCode = Object.fromEntries(res.body.Resources.map((g: Record<string, any>) => [g[IDM_GROUP].serviceCode, g]));
    assert.equal(byCode['studietider-och-utbildningar'].displayName, 'Studietider och utbildningar');
    assert.equal(byCode['studietider-och-utbildningar'][IDM_GROUP].formOnly, false);
    assert.equal(byCode.studeranderapportering[IDM_GROUP].formOnly, false);
    assert.equal(byCode.behorighetsadministrator[IDM_GROUP].formOnly, true);
    assert.deepEqual(byCode['studietider-och-utbildningar'].members, []);
  });

  it('finds a group by displayName, case-insensitively, with members excluded (Entra matching)', async () => {
    const res = await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "studietider OCH utbildningar"')}&excludedAttributes=members`);
    assert.equal(res.status, 200);
    assert.equal(res.body.totalResults, 1);
    assert.equal(res.body.Resources[0].id, studietider);
    assert.equal(res.body.Resources[0].members, undefined);
  });

  it('PATCH add members: 204, rows stored, the user shows the group and the service', async () => {
    const anna = await scim.createUser('anna.grupp');
    const res = await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'Add', path: 'members', value: [{ value: anna.id }] }));
    assert.equal(res.status, 204, JSON.stringify(res.body));
    assert.match(res.headers.etag, /^W\/"\d+"$/);
    assert.ok((await memberIds(studietider)).includes(anna.id));
    const user = await scim.get(`/Users/${anna.id}`);
    assert.deepEqual(user.body.groups.map((g: { value: string }) => g.value), [studietider]);
    assert.deepEqual(user.body[IDM_USER].services, ['studietider-och-utbildningar']);
    const group = await scim.get(`/Groups/${studietider}`);
    assert.ok(group.body.members.some((m: { value: string; type: string }) => m.value === anna.id && m.type === 'User'));
    const filtered = await scim.get(`/Groups?filter=${encodeURIComponent(`members.value eq "${anna.id}"`)}&excludedAttributes=members`);
    assert.deepEqual(filtered.body.Resources.map((g: { id: string }) => g.id), [studietider]);
  });

  it('PATCH remove with a value filter, and with a value array (Entra, Okta)', async () => {
    const a = await scim.createUser('remove.a');
    const b = await scim.createUser('remove.b');
    const c = await scim.createUser('remove.c');
    await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'add', path: 'members', value: [{ value: a.id }, { value: b.id }, { value: c.id }] }));
    const one = await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'remove', path: `members[value eq "${a.id}"]` }));
    assert.equal(one.status, 204);
    const two = await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: b.id }, { value: c.id }] }));
    assert.equal(two.status, 204);
    const ids = await memberIds(studietider);
    for (const u of [a, b, c]) assert.ok(!ids.includes(u.id));
  });

  it('returns the group on PATCH when the client asks with attributes', async () => {
    const u = await scim.createUser('ask.for.body');
    const res = await scim.patch(`/Groups/${studietider}?excludedAttributes=members`, patchOp({ op: 'add', path: 'members', value: [{ value: u.id }] }));
    assert.equal(res.status, 200);
    assert.equal(res.body.id, studietider);
    assert.equal(res.body.members, undefined);
  });

  it('refuses a member of another organisation as if it did not exist, and stores nothing of the request', async () => {
    const mine = await scim.createUser('mine.member');
    const theirs = await other.createUser('theirs.member');
    const before = await memberIds(studietider);
    const res = await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'add', path: 'members', value: [{ value: mine.id }, { value: theirs.id }] }));
    assert.equal(res.status, 400);
    assert.equal(res.body.scimType, 'invalidValue');
    assert.deepEqual(await memberIds(studietider), before);
    const unknown = await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'add', path: 'members', value: [{ value: crypto.randomUUID() }] }));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.detail, res.body.detail.replace(theirs.id, unknown.body.detail.match(/"([^"]+)"/)![1]));
  });

  it('cannot see or change another organisation’s group', async () => {
    const theirGroup = await other.groupId('studietider-och-utbildningar');
    assert.equal((await scim.get(`/Groups/${theirGroup}`)).status, 404);
    const u = await scim.createUser('cross.group');
    const res = await scim.patch(`/Groups/${theirGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: u.id }] }));
    assert.equal(res.status, 404);
    assert.deepEqual(await memberIds(theirGroup), []);
  });

  it('PUT replaces the members and keeps the displayName; a new displayName is 403 (the catalog owns names)', async () => {
    const group = await scim.groupId('studeranderapportering');
    const x = await scim.createUser('put.x');
    const y = await scim.createUser('put.y');
    await scim.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: x.id }] }));
    const res = await scim.put(`/Groups/${group}`, { schemas: [GROUP_SCHEMA], displayName: 'Studeranderapportering', members: [{ value: y.id }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await memberIds(group), [y.id]);
    const renamed = await scim.put(`/Groups/${group}`, { schemas: [GROUP_SCHEMA], displayName: 'Något annat', members: [] });
    assert.equal(renamed.status, 403);
    assert.match(renamed.body.detail, /tjänstekatalog/);
    assert.deepEqual(await memberIds(group), [y.id]);
    const patchRename = await scim.patch(`/Groups/${group}`, patchOp({ op: 'replace', path: 'displayName', value: 'Nytt namn' }));
    assert.equal(patchRename.status, 403);
  });

  it('refuses POST and DELETE of groups with 403 for every role', async () => {
    const operator = await scimClient(t, scim.orgId, 'operator');
    for (const client of [scim, operator]) {
      const created = await client.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ny tjänst' });
      assert.equal(created.status, 403);
      const deleted = await client.delete(`/Groups/${studietider}`);
      assert.equal(deleted.status, 403);
    }
    assert.equal((await scim.get('/Groups')).body.totalResults, 3);
  });

  it('answers 412 for a stale If-Match on a group', async () => {
    const before = await scim.get(`/Groups/${studietider}?excludedAttributes=members`);
    const u = await scim.createUser('etag.group');
    await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'add', path: 'members', value: [{ value: u.id }] }));
    const res = await scim.patch(`/Groups/${studietider}`, patchOp({ op: 'remove', path: `members[value eq "${u.id}"]` })).set('If-Match', before.headers.etag);
    assert.equal(res.status, 412);
    assert.ok((await memberIds(studietider)).includes(u.id));
    const notModified = await scim.get(`/Groups/${studietider}`).set('If-None-Match', before.headers.etag);
    assert.equal(notModified.status, 200);
  });

  it('stores all 100 members when 100 PATCH add requests arrive at once', async () => {
    const group = await other.groupId('studietider-och-utbildningar');
    const users = await Promise.all(Array.from({ length: 100 }, (_, i) => other.createUser(`concurrent.${i}`)));
    const responses = await Promise.all(users.map((u) => other.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: u.id }] }))));
    assert.deepEqual([...new Set(responses.map((r) => r.status))], [204]);
    assert.equal((await memberIds(group)).length, 100);
    const res = await other.get(`/Groups/${group}`);
    assert.equal(res.body.members.length, 100);
  });
});
