import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { USER_SCHEMA, scimClient, type ScimClient } from '../../helpers/scim.ts';

describe('protocol errors are RFC 7644 §3.12 bodies, never 5xx', () => {
  let t: TestApp;
  let scim: ScimClient;
  before(async () => {
    t = await createTestApp({ maxBodyBytes: 4096 });
    scim = await scimClient(t, (await t.createOrg()).id);
  });
  after(() => t.close());

  const isScimError = (res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }, status: number) => {
    assert.equal(res.status, status);
    assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(res.body.status, String(status));
    assert.equal(typeof res.body.detail, 'string');
    assert.match(res.headers['content-type'], /application\/scim\+json/);
  };

  it('unknown route: 404', async () => isScimError(await scim.get('/Widgets'), 404));
  it('wrong method: 405', async () => isScimError(await scim.put('/Users', {}), 405));
  it('unsupported content type: 415', async () => isScimError(await scim.post('/Users', {}).set('Content-Type', 'text/csv'), 415));
  it('invalid JSON: 400 invalidSyntax', async () => {
    const res = await scim.post('/Users', {}).set('Content-Type', 'application/json').send('{not json');
    isScimError(res, 400);
    assert.equal(res.body.scimType, 'invalidSyntax');
  });
  it('empty body: 400 invalidSyntax', async () => {
    const res = await t.http().post('/scim/v2/Users').set('Authorization', `Bearer ${scim.token}`).set('Content-Type', 'application/scim+json');
    isScimError(res, 400);
  });
  it('body over the limit: 413, nothing stored', async () => {
    const res = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'big', title: 'x'.repeat(5000) });
    isScimError(res, 413);
    assert.equal(await t.testDb.db('users').where({ user_name: 'big' }).first(), undefined);
  });
  it('wrong attribute types: 400 invalidValue', async () => {
    const res = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: ['a'] });
    isScimError(res, 400);
    assert.equal(res.body.scimType, 'invalidValue');
  });
  it('an over-long string value: 400 invalidValue', async () => {
    const small = await createTestApp();
    try {
      const client = await scimClient(small, (await small.createOrg()).id);
      const res = await client.post('/Users', { schemas: [USER_SCHEMA], userName: 'long', title: 'x'.repeat(3000) });
      isScimError(res, 400);
    } finally {
      await small.close();
    }
  });
  it('the character U+0000, which PostgreSQL cannot store: 400 in a body, a Bulk operation and a filter, nothing stored', async () => {
    const res = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'nul.user', title: 'a\u0000b' });
    isScimError(res, 400);
    assert.match(res.body.detail as string, /U\+0000/);
    isScimError(await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'nul\u0000name' }), 400);
    const bulk = await scim.post('/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'n', data: { schemas: [USER_SCHEMA], userName: 'nul.bulk', title: '\u0000' } }],
    });
    isScimError(bulk, 400);
    assert.deepEqual(await t.testDb.db('users').whereIn('user_name', ['nul.user', 'nul.bulk']).pluck('user_name'), []);
    const filtered = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "a\u0000b"')}`);
    isScimError(filtered, 400);
  });
  it('filter beyond the complexity bound: 400 invalidFilter', async () => {
    const filter = Array.from({ length: 60 }, (_, i) => `userName eq "u${i}"`).join(' or ');
    const res = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
    isScimError(res, 400);
    assert.equal(res.body.scimType, 'invalidFilter');
  });
  it('PATCH with a bad body: 400', async () => {
    const user = await scim.createUser('patch.errors');
    for (const body of [{}, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] }, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'explode', path: 'title' }] }]) {
      const res = await scim.patch(`/Users/${user.id}`, body);
      isScimError(res, 400);
    }
  });
});
