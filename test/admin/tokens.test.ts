import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

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

  it('issues an operator token without an organisation that cannot use SCIM', async () => {
    const res = await t.http().post('/admin/v1/tokens').set('Authorization', `Bearer ${op}`).send({ role: 'operator', subject: 'csn-staff' });
    assert.equal(res.status, 201);
    const scim = await t.http().get('/scim/v2/ServiceProviderConfig').set('Authorization', `Bearer ${res.body.token}`);
    assert.equal(scim.status, 200);
  });
});
