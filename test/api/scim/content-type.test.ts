import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, SEARCH_REQUEST, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

// RFC 7644 §8.1 registers application/scim+json with no parameters; clients that compare the
// header refuse "application/scim+json; charset=utf-8".
const SCIM = 'application/scim+json';

describe('SCIM answers carry Content-Type application/scim+json, bare (RFC 7644 §8.1)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;
  before(async () => {
    t = await createTestApp({ maxBodyBytes: 4096 });
    scim = await scimClient(t, (await t.createOrg()).id);
    userId = (await scim.createUser('typ.test')).id;
    groupId = await scim.groupId('studietider-och-utbildningar');
  });
  after(() => t.close());

  const check = (res: { status: number; headers: Record<string, string> }, status: number, what: string) => {
    assert.equal(res.status, status, what);
    assert.equal(res.headers['content-type'], SCIM, what);
  };

  it('on every kind of success: discovery, one resource, a list, a streamed group, create, replace, patch, search, Bulk', async () => {
    check(await scim.get('/ServiceProviderConfig'), 200, 'ServiceProviderConfig');
    check(await scim.get('/Schemas'), 200, 'Schemas');
    check(await scim.get(`/Schemas/${USER_SCHEMA}`), 200, 'one schema');
    check(await scim.get('/ResourceTypes'), 200, 'ResourceTypes');
    check(await scim.get('/Users'), 200, 'list of users');
    check(await scim.get(`/Users/${userId}`), 200, 'one user');
    check(await scim.get(`/Groups/${groupId}`), 200, 'one group, members streamed');
    check(await scim.get('/Groups?excludedAttributes=members'), 200, 'list of groups');
    check(await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'typ.ny' }), 201, 'POST');
    check(await scim.put(`/Users/${userId}`, { schemas: [USER_SCHEMA], userName: 'typ.test', title: 'Lärare' }), 200, 'PUT');
    check(await scim.patch(`/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: 'Rektor' })), 200, 'PATCH');
    check(await scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'userName sw "typ"' }), 200, '/.search');
    check(await scim.post('/Bulk', { schemas: [BULK_REQUEST], Operations: [{ method: 'POST', path: '/Users', bulkId: 'b', data: { schemas: [USER_SCHEMA], userName: 'typ.bulk' } }] }), 200, 'Bulk');
  });

  it('on every error, those raised before routing and authentication included', async () => {
    check(await t.http().get('/scim/v2/Users'), 401, 'no token');
    check(await t.http().get('/scim/v2/Users').set('Authorization', 'Bearer not-a-token'), 401, 'bad token');
    check(await scim.get('/Users?filter=userName%20zz%20%22x%22'), 400, 'bad filter');
    check(await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Ny' }), 403, 'creating a group');
    check(await scim.get('/Users/00000000-0000-4000-8000-000000000000'), 404, 'no such user');
    check(await scim.get('/Widgets'), 404, 'no such path');
    check(await scim.delete('/Users'), 405, 'wrong method');
    check(await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'typ.test' }), 409, 'duplicate');
    check(await scim.put(`/Users/${userId}`, { schemas: [USER_SCHEMA], userName: 'typ.test' }).set('If-Match', 'W/"nope"'), 412, 'If-Match');
    check(await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'typ.stor', title: 'x'.repeat(5000) }), 413, 'body over the limit');
    check(await scim.post('/Users', {}).set('Content-Type', 'text/plain'), 415, 'content type');
    check(await t.http().trace('/scim/v2/Users'), 501, 'method implemented nowhere');
    check(await t.http().get('/auth/login'), 405, 'SCIM error from /auth');
    check(await t.http().get('/admin/v1/organisations'), 401, 'SCIM error from /admin/v1');
  });

  it('leaves the JSON answers of /admin/v1 and /api/v1 as application/json', async () => {
    const operator = await t.operatorToken();
    const orgs = await t.http().get('/admin/v1/organisations').set('Authorization', `Bearer ${operator}`);
    assert.equal(orgs.status, 200);
    assert.equal(orgs.headers['content-type'], 'application/json; charset=utf-8');
    const audit = await t.http().get('/api/v1/audit').set('Authorization', `Bearer ${await t.token('admin', scim.orgId)}`);
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.equal(audit.headers['content-type'], 'application/json; charset=utf-8');
  });
});
