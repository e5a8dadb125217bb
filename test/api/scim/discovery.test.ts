import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { SEARCH_REQUEST, scimClient, type ScimClient } from '../../helpers/scim.ts';

describe('discovery endpoints (RFC 7644 §4) from schemas/', () => {
  let t: TestApp;
  let scim: ScimClient;
  before(async () => {
    t = await createTestApp();
    scim = await scimClient(t, (await t.createOrg()).id, 'admin');
  });
  after(() => t.close());

  it('serves ServiceProviderConfig with patch, bulk, filter, sort, etag and cursor pagination', async () => {
    const res = await scim.get('/ServiceProviderConfig');
    assert.equal(res.status, 200);
    assert.equal(res.body.patch.supported, true);
    assert.equal(res.body.bulk.maxOperations, 1000);
    assert.equal(res.body.filter.maxResults, 1000);
    assert.equal(res.body.etag.supported, true);
    assert.equal(res.body.sort.supported, true);
    assert.equal(res.body.pagination.cursor, true);
    assert.equal(res.body.pagination.index, true);
  });

  it('lists every schema file and serves each by id', async () => {
    const res = await scim.get('/Schemas');
    assert.equal(res.status, 200);
    const ids = res.body.Resources.map((s: { id: string }) => s.id).sort();
    assert.deepEqual(ids, [
      'urn:identity-manager:params:scim:schemas:extension:2.0:Group',
      'urn:identity-manager:params:scim:schemas:extension:2.0:User',
      'urn:ietf:params:scim:schemas:core:2.0:Group',
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    ]);
    const user = await scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    assert.deepEqual(user.body, JSON.parse(fs.readFileSync('schemas/user.json', 'utf8')));
    const userName = user.body.attributes.find((a: { name: string }) => a.name === 'userName');
    assert.equal(userName.uniqueness, 'server');
    assert.equal((await scim.get('/Schemas/urn:nothing')).status, 404);
    assert.equal((await scim.get('/Schemas?filter=id%20pr')).status, 403);
  });

  it('lists the User and Group resource types with their extensions', async () => {
    const res = await scim.get('/ResourceTypes');
    assert.equal(res.body.totalResults, 2);
    const user = await scim.get('/ResourceTypes/User');
    assert.equal(user.body.endpoint, '/Users');
    assert.deepEqual(user.body.schemaExtensions.map((e: { schema: string }) => e.schema), [
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      'urn:identity-manager:params:scim:schemas:extension:2.0:User',
    ]);
  });

  it('searches Users and Groups together on POST /.search', async () => {
    await scim.createUser('root.search');
    const all = await scim.post('/.search', { schemas: [SEARCH_REQUEST], count: 100 });
    assert.equal(all.status, 200);
    assert.equal(all.body.totalResults, 4, 'one user and three groups');
    const byName = await scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'userName eq "root.search"' });
    assert.equal(byName.body.totalResults, 1);
    assert.equal(byName.body.Resources[0].userName, 'root.search');
    const groups = await scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'displayName sw "Stud"', excludedAttributes: ['members'] });
    assert.equal(groups.body.totalResults, 2);
    const page = await scim.post('/.search', { schemas: [SEARCH_REQUEST], startIndex: 2, count: 2 });
    assert.equal(page.body.itemsPerPage, 2);
    assert.equal(page.body.Resources[0].displayName !== undefined, true);
    const bad = await scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'nothing eq 1' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.scimType, 'invalidFilter');
  });
});
