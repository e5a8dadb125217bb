import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';

describe('/admin/v1/tokens', () => {
  let t: TestApp;
  let op: string;
  let orgId: string;
  before(async () => {
    t = await createTestApp();
    op = await t.operatorToken();
    orgId = (await t.createOrg()).id;
  });
  after(() => t.close());

  it('issues a token with the claims asked for and the lifetime given', async () => {
    const res = await t.http().post('/admin/v1/tokens').set('Authorization', `Bearer ${op}`).send({ organisationId: orgId, role: 'provisioner', subject: 'entra-sync', ttl: '30d' });
    assert.equal(res.status, 201);
    const claims = decodeJwt(res.body.token);
    assert.equal(claims.role, 'provisioner');
    assert.equal(claims.org, orgId);
    assert.equal(claims.sub, 'entra-sync');
    assert.equal(claims.jti, res.body.jti);
    assert.equal(claims.exp! - claims.iat!, 30 * 86400);
  });

  it('lists tokens without the tokens themselves', async () => {
    const res = await t.http().get(`/admin/v1/tokens?organisationId=${orgId}`).set('Authorization', `Bearer ${op}`);
    assert.equal(res.status, 200);
    assert.ok(res.body.length >= 1);
    for (const row of res.body) {
      assert.equal(row.token, undefined);
      assert.equal(row.organisationId, orgId);
    }
    assert.doesNotMatch(JSON.stringify(res.body), /eyJ/);
  });

  it('refuses bad requests', async () => {
    const cases: [Record<string, unknown>, number][] = [
      [{ role: 'admin', subject: 'a' }, 400],
      [{ role: 'root', subject: 'a', organisationId: orgId }, 400],
      [{ role: 'admin', subject: '', organisationId: orgId }, 400],
      [{ role: 'admin', subject: 'a', organisationId: orgId, ttl: '5 weeks' }, 400],
      [{ role: 'admin', subject: 'a', organisationId: orgId, ttl: '400d' }, 400],
      [{ role: 'admin', subject: 'a', organisationId: '00000000-0000-4000-8000-000000000000' }, 404],
    ];
    for (const [body, status] of cases) {
      const res = await t.http().post('/admin/v1/tokens').set('Authorization', `Bearer ${op}`).send(body);
      assert.equal(res.status, status, JSON.stringify(body));
    }
  });

  it('answers 404 when revoking an unknown jti', async () => {
    const res = await t.http().delete('/admin/v1/tokens/unknown-jti').set('Authorization', `Bearer ${op}`);
    assert.equal(res.status, 404);
  });

  it('issues an operator token without an organisation: SCIM discovery, but no tenant data (SPEC §2: admin API only)', async () => {
    const res = await t.http().post('/admin/v1/tokens').set('Authorization', `Bearer ${op}`).send({ role: 'operator', subject: 'csn-staff' });
    assert.equal(res.status, 201);
    assert.equal(decodeJwt(res.body.token).org, undefined);
    const auth = (test: ReturnType<ReturnType<TestApp['http']>['get']>) => test.set('Authorization', `Bearer ${res.body.token}`);
    for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes']) {
      assert.equal((await auth(t.http().get(`/scim/v2${path}`))).status, 200, path);
    }
    const refused = [
      await auth(t.http().get('/scim/v2/Users')),
      await auth(t.http().get('/scim/v2/Groups')),
      await auth(t.http().get('/scim/v2/Users/00000000-0000-4000-8000-000000000000')),
      await auth(t.http().post('/scim/v2/Users')).set('Content-Type', 'application/scim+json').send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'no.org@x.se' }),
      await auth(t.http().post('/scim/v2/Users/.search')).set('Content-Type', 'application/scim+json').send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] }),
    ];
    for (const answer of refused) {
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.match(answer.body.detail, /names no organisation/);
    }
    assert.equal(await t.testDb.db('users').where({ user_name: 'no.org@x.se' }).first(), undefined);
    // The same token is good for what it is for: the operator API.
    assert.equal((await auth(t.http().get(`/admin/v1/tokens?organisationId=${orgId}`))).status, 200);
  });
});
