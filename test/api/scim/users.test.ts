import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { ENTERPRISE, IDM_USER, SCIM_TEST_HOST, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

describe('/Users', () => {
  let t: TestApp;
  let scim: ScimClient;
  let other: ScimClient;
  let operator: ScimClient;

  before(async () => {
    t = await createTestApp();
    const org = await t.createOrg({ name: 'Komvux Norr', schoolForm: 'komvux', reportsViaFile: true });
    scim = await scimClient(t, org.id, 'provisioner');
    operator = await scimClient(t, org.id, 'operator');
    other = await scimClient(t, (await t.createOrg({ name: 'Annan skola' })).id, 'provisioner');
  });
  after(() => t.close());

  const countUsers = async () => Number((await t.testDb.db('users').count({ n: '*' }).first())!.n);

  describe('POST /Users', () => {
    it('creates a user: 201 with Location, ETag, meta and the derived extension; no password back', async () => {
      const res = await scim.post('/Users', {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName: 'anna.andersson@komvux.se',
        externalId: 'hr-1001',
        name: { givenName: 'Anna', familyName: 'Andersson' },
        emails: [{ value: 'anna@komvux.se', type: 'work', primary: true }],
        password: 'Hemligt123',
        [ENTERPRISE]: { department: 'Vuxenutbildning', employeeNumber: '1001' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.match(res.headers['content-type'], /application\/scim\+json/);
      assert.equal(res.headers.location, res.body.meta.location);
      assert.equal(res.headers.location, `http://${SCIM_TEST_HOST}/scim/v2/Users/${res.body.id}`);
      assert.equal(res.headers.etag, res.body.meta.version);
      assert.match(res.body.meta.version, /^W\/"\d+"$/);
      assert.equal(res.body.meta.resourceType, 'User');
      assert.equal(res.body.userName, 'anna.andersson@komvux.se');
      assert.equal(res.body.active, true);
      assert.equal(res.body.password, undefined);
      assert.equal(res.body[ENTERPRISE].department, 'Vuxenutbildning');
      assert.equal(res.body[IDM_USER].organisationId, scim.orgId);
      assert.equal(res.body[IDM_USER].organisationType, 'school');
      assert.equal(res.body[IDM_USER].schoolForm, 'komvux');
      assert.deepEqual(res.body[IDM_USER].services, []);
      assert.equal(res.body[IDM_USER].credentialStatus, 'none');
      assert.ok(res.body.schemas.includes(USER_SCHEMA));
      const row = await t.testDb.db('users').where({ id: res.body.id }).first();
      assert.match(row.password_hash, /^scrypt\$/);
      assert.ok(!JSON.stringify(row.data).includes('Hemligt123'));
    });

    it('ignores read-only attributes sent by the client (id, meta, groups, the derived extension)', async () => {
      const res = await scim.post('/Users', {
        schemas: [USER_SCHEMA, IDM_USER],
        id: 'chosen-by-client',
        userName: 'readonly.test',
        meta: { created: '2000-01-01T00:00:00Z' },
        groups: [{ value: crypto.randomUUID() }],
        [IDM_USER]: { services: ['studiestartsstod'], credentialStatus: 'active' },
      });
      assert.equal(res.status, 201);
      assert.notEqual(res.body.id, 'chosen-by-client');
      assert.notEqual(res.body.meta.created, '2000-01-01T00:00:00.000Z');
      assert.equal(res.body.groups, undefined);
      assert.deepEqual(res.body[IDM_USER].services, []);
      assert.equal(res.body[IDM_USER].credentialStatus, 'none');
    });

    it('accepts attribute names in any case and returns them in canonical case', async () => {
      const res = await scim.post('/Users', { schemas: [USER_SCHEMA], USERNAME: 'case.test', Name: { GivenName: 'Cecilia' }, ACTIVE: 'False' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.userName, 'case.test');
      assert.equal(res.body.name.givenName, 'Cecilia');
      assert.equal(res.body.active, false);
    });

    it('refuses a userName taken in any organisation, case-insensitively, with 409 uniqueness', async () => {
      await scim.createUser('Unique.Person');
      const before = await countUsers();
      for (const client of [scim, other]) {
        const res = await client.post('/Users', { schemas: [USER_SCHEMA], userName: 'unique.PERSON' });
        assert.equal(res.status, 409);
        assert.equal(res.body.scimType, 'uniqueness');
      }
      assert.equal(await countUsers(), before);
    });

    it('keeps externalId unique within an organisation only', async () => {
      await scim.createUser('ext.one', { externalId: 'E-1' });
      const dup = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'ext.two', externalId: 'E-1' });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.scimType, 'uniqueness');
      const elsewhere = await other.post('/Users', { schemas: [USER_SCHEMA], userName: 'ext.three', externalId: 'E-1' });
      assert.equal(elsewhere.status, 201);
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ['a missing userName', { schemas: [USER_SCHEMA], name: { givenName: 'X' } }, 'invalidValue'],
      ['an empty userName', { schemas: [USER_SCHEMA], userName: '  ' }, 'invalidValue'],
      ['active that is not a boolean', { schemas: [USER_SCHEMA], userName: 'x1', active: 'yes' }, 'invalidValue'],
      ['name that is not an object', { schemas: [USER_SCHEMA], userName: 'x2', name: 'Anna' }, 'invalidValue'],
      ['emails with a number as value', { schemas: [USER_SCHEMA], userName: 'x3', emails: [{ value: 42 }] }, 'invalidValue'],
      ['an unknown attribute', { schemas: [USER_SCHEMA], userName: 'x4', shoeSize: 44 }, 'invalidSyntax'],
      ['no schemas', { userName: 'x5' }, 'invalidSyntax'],
      ['a schema of another resource type', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], userName: 'x6' }, 'invalidSyntax'],
      ['an array body', [{ userName: 'x7' }] as unknown as Record<string, unknown>, 'invalidSyntax'],
    ];
    for (const [what, body, scimType] of invalid) {
      it(`refuses ${what} with 400 ${scimType} and stores nothing`, async () => {
        const before = await countUsers();
        const res = await scim.post('/Users', body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.scimType, scimType);
        assert.equal(res.body.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
        assert.equal(await countUsers(), before);
      });
    }

    it('refuses malformed JSON with 400 invalidSyntax and another content type with 415', async () => {
      const bad = await t.http().post('/scim/v2/Users').set('Authorization', `Bearer ${scim.token}`).set('Content-Type', 'application/scim+json').send('{"userName": ');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.scimType, 'invalidSyntax');
      const xml = await t.http().post('/scim/v2/Users').set('Authorization', `Bearer ${scim.token}`).set('Content-Type', 'application/xml').send('<user/>');
      assert.equal(xml.status, 415);
    });

    it('refuses a password written by an admin with 403, and stores nothing', async () => {
      const admin = await scimClient(t, scim.orgId, 'admin');
      const before = await countUsers();
      const res = await admin.post('/Users', { schemas: [USER_SCHEMA], userName: 'pw.by.admin', password: 'Hemligt123' });
      assert.equal(res.status, 403);
      assert.match(res.body.detail, /engångslösenord/);
      assert.equal(await countUsers(), before);
    });
  });

  it('builds locations on IDM_PUBLIC_URL when the server sits behind a proxy', async () => {
    const proxied = await createTestApp({ publicUrl: 'https://idm.exempel.se' });
    try {
      const client = await scimClient(proxied, (await proxied.createOrg()).id);
      const res = await client.post('/Users', { schemas: [USER_SCHEMA], userName: 'bakom.proxy' });
      assert.equal(res.status, 201);
      assert.equal(res.headers.location, `https://idm.exempel.se/scim/v2/Users/${res.body.id}`);
      assert.equal(res.body.meta.location, res.headers.location);
      const group = await client.get(`/Groups/${await client.groupId('studietider-och-utbildningar')}`);
      assert.match(group.body.meta.location, /^https:\/\/idm\.exempel\.se\/scim\/v2\/Groups\//);
    } finally {
      await proxied.close();
    }
  });

  describe('GET /Users/:id', () => {
    it('returns the user with an ETag, and 304 for a matching If-None-Match', async () => {
      const user = await scim.createUser('get.me');
      const res = await scim.get(`/Users/${user.id}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.userName, 'get.me');
      assert.equal(res.headers.etag, user.meta.version);
      const cached = await scim.get(`/Users/${user.id}`).set('If-None-Match', user.meta.version);
      assert.equal(cached.status, 304);
      const stale = await scim.get(`/Users/${user.id}`).set('If-None-Match', 'W/"999"');
      assert.equal(stale.status, 200);
    });

    it('answers 404 for an unknown id, a malformed id and another organisation’s user', async () => {
      const theirs = await other.createUser('theirs.only');
      for (const id of [crypto.randomUUID(), 'not-a-uuid', theirs.id]) {
        const res = await scim.get(`/Users/${id}`);
        assert.equal(res.status, 404);
        assert.equal(res.body.status, '404');
      }
    });

    it('honours attributes and excludedAttributes with the returned characteristic', async () => {
      const user = await scim.createUser('projection.user', { title: 'Rektor' });
      const only = await scim.get(`/Users/${user.id}?attributes=name.givenName`);
      assert.deepEqual(Object.keys(only.body).sort(), ['id', 'name', 'schemas']);
      assert.deepEqual(only.body.name, { givenName: 'Test' });
      const without = await scim.get(`/Users/${user.id}?excludedAttributes=emails,title,id`);
      assert.equal(without.body.emails, undefined);
      assert.equal(without.body.title, undefined);
      assert.equal(without.body.id, user.id, 'id is returned always');
      const bad = await scim.get(`/Users/${user.id}?attributes=nonsense`);
      assert.equal(bad.status, 400);
    });
  });

  describe('PUT /Users/:id', () => {
    it('replaces the user and bumps the version', async () => {
      const user = await scim.createUser('put.me', { title: 'Lärare' });
      const res = await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'put.me.renamed', name: { givenName: 'Ny' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.userName, 'put.me.renamed');
      assert.equal(res.body.title, undefined);
      assert.equal(res.body.emails, undefined);
      assert.notEqual(res.body.meta.version, user.meta.version);
      // the old name is free again
      await scim.createUser('put.me');
    });

    it('answers 412 for a stale If-Match and changes nothing', async () => {
      const user = await scim.createUser('etag.put');
      await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'etag.put', title: 'A' });
      const res = await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'etag.put', title: 'B' }).set('If-Match', user.meta.version);
      assert.equal(res.status, 412);
      assert.equal((await scim.get(`/Users/${user.id}`)).body.title, 'A');
      const current = (await scim.get(`/Users/${user.id}`)).headers.etag;
      const ok = await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'etag.put', title: 'C' }).set('If-Match', current);
      assert.equal(ok.status, 200);
    });

    it('cannot take another user’s userName (409) and cannot reach another organisation’s user (404)', async () => {
      await scim.createUser('taken.name');
      const user = await scim.createUser('wants.name');
      const clash = await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'TAKEN.name' });
      assert.equal(clash.status, 409);
      const theirs = await other.createUser('theirs.put');
      const cross = await scim.put(`/Users/${theirs.id}`, { schemas: [USER_SCHEMA], userName: 'hijack' });
      assert.equal(cross.status, 404);
      assert.equal((await other.get(`/Users/${theirs.id}`)).body.userName, 'theirs.put');
    });
  });

  describe('PATCH /Users/:id', () => {
    it('applies Entra-style operations and returns 200 with the resource', async () => {
      const user = await scim.createUser('patch.me');
      const res = await scim.patch(`/Users/${user.id}`, patchOp(
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Add', path: 'emails[type eq "home"].value', value: 'home@example.se' },
        { op: 'replace', value: { 'name.familyName': 'Patchad', [`${ENTERPRISE}:department`]: 'Ekonomi' } },
      ));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.active, false);
      assert.equal(res.body.name.familyName, 'Patchad');
      assert.equal(res.body[ENTERPRISE].department, 'Ekonomi');
      assert.ok(res.body.emails.some((e: { type: string; value: string }) => e.type === 'home' && e.value === 'home@example.se'));
    });

    it('is atomic: a failing operation leaves the user unchanged', async () => {
      const user = await scim.createUser('atomic.patch', { title: 'Före' });
      const res = await scim.patch(`/Users/${user.id}`, patchOp(
        { op: 'replace', path: 'title', value: 'Efter' },
        { op: 'replace', path: 'groups', value: [] },
      ));
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'mutability');
      const now = await scim.get(`/Users/${user.id}`);
      assert.equal(now.body.title, 'Före');
      assert.equal(now.body.meta.version, user.meta.version);
    });

    it('answers 412 on a stale If-Match', async () => {
      const user = await scim.createUser('patch.etag');
      await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }));
      const res = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'title', value: 'y' })).set('If-Match', user.meta.version);
      assert.equal(res.status, 412);
    });
  });

  describe('DELETE /Users/:id', () => {
    it('is refused to a provisioner with a Swedish detail, and the user stays', async () => {
      const user = await scim.createUser('not.deleted');
      const res = await scim.delete(`/Users/${user.id}`);
      assert.equal(res.status, 403);
      assert.match(res.body.detail, /CSN/);
      assert.equal((await scim.get(`/Users/${user.id}`)).status, 200);
    });

    it('is done by an operator: 204, then 404, and the userName is free again', async () => {
      const user = await scim.createUser('deleted.by.operator');
      const res = await operator.delete(`/Users/${user.id}`);
      assert.equal(res.status, 204);
      assert.equal((await scim.get(`/Users/${user.id}`)).status, 404);
      assert.equal((await operator.delete(`/Users/${user.id}`)).status, 404);
      await other.createUser('deleted.by.operator');
    });

    it('cannot delete another organisation’s user', async () => {
      const theirs = await other.createUser('theirs.delete');
      const res = await operator.delete(`/Users/${theirs.id}`);
      assert.equal(res.status, 404);
      assert.equal((await other.get(`/Users/${theirs.id}`)).status, 200);
    });
  });
});
