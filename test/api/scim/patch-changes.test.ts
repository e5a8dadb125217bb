import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { IDM_GROUP, IDM_USER, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

const CORE_USER = USER_SCHEMA;

/**
 * RFC 7644 §3.5.2: a client "MUST NOT modify an attribute that has mutability readOnly", with or
 * without path; and an operation that finds its value already there changes nothing, not even the
 * modify timestamp (§3.5.2.1).
 */
describe('PATCH changes what it may, and only what changes', () => {
  let t: TestApp;
  let scim: ScimClient;

  before(async () => {
    t = await createTestApp();
    scim = await scimClient(t, (await t.createOrg({ name: 'Ändringsskolan', schoolForm: 'hogskola' })).id);
  });
  after(() => t.close());

  const userEvents = async (id: string) => Number((await t.testDb.db('audit_events').where({ resource_id: id, action: 'user.update' }).count({ n: '*' }).first())!.n);
  const groupEvents = async (id: string) => Number((await t.testDb.db('audit_events').where({ resource_id: id, action: 'group.members' }).count({ n: '*' }).first())!.n);
  const groupMeta = async (id: string) => (await scim.get(`/Groups/${id}?excludedAttributes=members`)).body.meta;

  describe('read-only attributes in a value without path', () => {
    const readOnlyValues = (other: string): Record<string, unknown>[] => [
      { id: crypto.randomUUID() },
      { id: other },
      { id: 42 },
      { title: 'Smugglad', id: other },
      { [`${CORE_USER}:id`]: other },
      { [CORE_USER]: { id: other } },
      { meta: { version: 'W/"99"' } },
      { groups: [{ value: crypto.randomUUID() }] },
      { [IDM_USER]: { credentialStatus: 'active' } },
      { [`${IDM_USER}:services`]: ['studeranderapportering'] },
      { [`${IDM_USER}:organisationId`]: crypto.randomUUID() },
    ];

    it('are 400 mutability, like those with a path, and nothing of the request is stored', async () => {
      const user = await scim.createUser('readonly.pathless@andring.se', { title: 'Före' });
      const other = await scim.createUser('other.user@andring.se');
      for (const value of readOnlyValues(other.id)) {
        for (const op of ['add', 'replace']) {
          const res = await scim.patch(`/Users/${user.id}`, patchOp({ op, value }));
          assert.equal(res.status, 400, `${op} ${JSON.stringify(value)}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.scimType, 'mutability', JSON.stringify(value));
        }
      }
      const now = await scim.get(`/Users/${user.id}`);
      assert.equal(now.body.id, user.id);
      assert.equal(now.body.title, 'Före');
      assert.equal(now.body.meta.version, user.meta.version);
    });

    it('the resource’s own id (in any case) and schemas may ride along, as Okta sends them', async () => {
      const user = await scim.createUser('okta.style@andring.se');
      const res = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', value: { id: user.id.toUpperCase(), schemas: [CORE_USER], title: 'Okta' } }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.id, user.id);
      assert.equal(res.body.title, 'Okta');
    });

    it('on a Group: another id or a read-only extension attribute is 400 mutability; its own id is accepted', async () => {
      const group = await scim.groupId('studietider-och-utbildningar');
      const before = await groupMeta(group);
      for (const value of [{ id: crypto.randomUUID() }, { [IDM_GROUP]: { formOnly: false } }, { [`${IDM_GROUP}:serviceCode`]: 'x' }]) {
        const res = await scim.patch(`/Groups/${group}`, patchOp({ op: 'replace', value }));
        assert.equal(res.status, 400, JSON.stringify(value));
        assert.equal(res.body.scimType, 'mutability');
      }
      const okta = await scim.patch(`/Groups/${group}`, patchOp({ op: 'replace', value: { id: group, displayName: 'Studietider och utbildningar' } }));
      assert.equal(okta.status, 204, JSON.stringify(okta.body));
      assert.deepEqual(await groupMeta(group), before);
    });
  });

  describe('a PATCH that changes nothing', () => {
    it('keeps meta.version and lastModified of a User and writes no audit event', async () => {
      const user = await scim.createUser('noop@andring.se', {
        title: 'Lärare',
        emails: [{ value: 'noop@andring.se', type: 'work', primary: true }, { value: 'hemma@andring.se', type: 'home' }],
      });
      const events = await userEvents(user.id);
      const shapes = [
        // The e-mail already there (the re-add of issue 10).
        [{ op: 'add', path: 'emails', value: [{ value: 'noop@andring.se' }] }],
        [{ op: 'add', path: 'emails', value: [{ value: 'hemma@andring.se', type: 'home' }] }],
        [{ op: 'replace', path: 'title', value: 'Lärare' }],
        [{ op: 'replace', value: { active: true, 'name.familyName': user.name.familyName } }],
        [{ op: 'Replace', path: 'active', value: 'True' }],
        [{ op: 'remove', path: 'nickName' }],
        [{ op: 'remove', path: 'emails[type eq "other"]' }],
        [{ op: 'replace', path: 'title', value: 'Rektor' }, { op: 'replace', path: 'title', value: 'Lärare' }],
      ];
      for (const ops of shapes) {
        const res = await scim.patch(`/Users/${user.id}`, patchOp(...ops)).set('If-Match', user.meta.version);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.meta.version, user.meta.version, JSON.stringify(ops));
        assert.equal(res.headers.etag, user.meta.version);
        assert.equal(res.body.meta.lastModified, user.meta.lastModified, JSON.stringify(ops));
      }
      const now = await scim.get(`/Users/${user.id}`);
      assert.deepEqual(now.body, user);
      assert.equal(await userEvents(user.id), events, 'no audit event for a change that changed nothing');

      const changed = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'add', path: 'emails', value: [{ value: 'ny@andring.se' }] }));
      assert.notEqual(changed.body.meta.version, user.meta.version);
      assert.equal(await userEvents(user.id), events + 1);
    });

    it('a PUT of the user as it is changes nothing either', async () => {
      const user = await scim.createUser('noop.put@andring.se', { title: 'Samma' });
      const { id: _id, meta: _meta, groups: _groups, [IDM_USER]: _derived, ...writable } = user;
      const res = await scim.put(`/Users/${user.id}`, writable);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.meta.version, user.meta.version);
      assert.equal(await userEvents(user.id), 0);
    });

    it('keeps a Group’s version and writes no audit event when members already are as asked', async () => {
      const group = await scim.groupId('studietider-och-utbildningar');
      const member = await scim.createUser('member.noop@andring.se');
      assert.equal((await scim.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: member.id }] }))).status, 204);
      const before = await groupMeta(group);
      const events = await groupEvents(group);
      const stranger = crypto.randomUUID();
      for (const ops of [
        [{ op: 'add', path: 'members', value: [{ value: member.id }] }],
        [{ op: 'remove', path: `members[value eq "${stranger}"]` }],
        [{ op: 'remove', path: 'members', value: [{ value: stranger }] }],
        [{ op: 'replace', path: 'members', value: [{ value: member.id }] }],
      ]) {
        const res = await scim.patch(`/Groups/${group}`, patchOp(...ops));
        assert.equal(res.status, 204, JSON.stringify(res.body));
        assert.equal(res.headers.etag, before.version, JSON.stringify(ops));
      }
      assert.deepEqual(await groupMeta(group), before);
      assert.equal(await groupEvents(group), events);
      const memberNow = await scim.get(`/Users/${member.id}`);
      assert.equal(memberNow.status, 200);
    });
  });
});
