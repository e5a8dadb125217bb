import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SignJWT, generateKeyPair, exportSPKI, base64url } from 'jose';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';

describe('bearer token verification (SPEC §6.1)', () => {
  let t: TestApp;
  let orgId: string;
  const settings = () => ({ iss: t.config.issuer, aud: t.config.audience });

  before(async () => {
    t = await createTestApp();
    orgId = (await t.createOrg()).id;
  });
  after(() => t.close());

  async function sign(claims: Record<string, unknown>, options: { key?: CryptoKey; iat?: number; exp?: number; nbf?: number } = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role: 'admin', org: orgId, ...claims })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer((claims.iss as string) ?? settings().iss)
      .setAudience((claims.aud as string) ?? settings().aud)
      .setSubject('anna')
      .setJti(crypto.randomUUID())
      .setIssuedAt(options.iat ?? now)
      .setNotBefore(options.nbf ?? now)
      .setExpirationTime(options.exp ?? now + 300)
      .sign(options.key ?? t.key.privateKey);
  }

  async function expect401(token: string | undefined, detail: RegExp) {
    const req = t.http().get('/scim/v2/ServiceProviderConfig');
    if (token !== undefined) req.set('Authorization', token);
    const res = await req;
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.match(res.headers['www-authenticate'], /^Bearer/);
    assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(res.body.status, '401');
    assert.match(res.body.detail, detail);
    assert.match(res.headers['content-type'], /application\/scim\+json/);
  }

  it('accepts a valid admin token and answers ServiceProviderConfig', async () => {
    const res = await t.http().get('/scim/v2/ServiceProviderConfig').set('Authorization', `Bearer ${await sign({})}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.patch.supported, true);
  });

  it('refuses a request without a token', () => expect401(undefined, /bearer token is required/));
  it('refuses a header that is not Bearer', async () => expect401('Basic YWJjOmRlZg==', /Bearer <token>/));
  it('refuses a malformed token', () => expect401('Bearer not.a.jwt', /malformed/));

  it('refuses alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(JSON.stringify({ role: 'admin', org: orgId, sub: 'x', jti: 'j', iss: settings().iss, aud: settings().aud, iat: now, exp: now + 60 }));
    await expect401(`Bearer ${header}.${payload}.`, /ES256|malformed/);
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const spki = await exportSPKI(t.key.publicKey);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: 'operator' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(settings().iss).setAudience(settings().aud).setSubject('mallory').setJti('x').setIssuedAt(now).setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(spki));
    await expect401(`Bearer ${token}`, /ES256/);
  });

  it('refuses a token signed with another key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await expect401(`Bearer ${await sign({}, { key: privateKey as CryptoKey })}`, /signature/);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(`Bearer ${await sign({}, { iat: now - 3600, nbf: now - 3600, exp: now - 600 })}`, /expired/);
  });

  it('refuses a token that is not valid yet', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(`Bearer ${await sign({}, { nbf: now + 600, exp: now + 1200 })}`, /not valid yet/);
  });

  it('refuses a token issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(`Bearer ${await sign({}, { iat: now + 600, nbf: now - 10, exp: now + 1200 })}`, /future/);
  });

  it('refuses the wrong issuer', async () => expect401(`Bearer ${await sign({ iss: 'someone-else' })}`, /iss/));
  it('refuses the wrong audience', async () => expect401(`Bearer ${await sign({ aud: 'another-service' })}`, /aud/));
  it('refuses an unknown role', async () => expect401(`Bearer ${await sign({ role: 'superuser' })}`, /role/));
  it('refuses an admin token without an organisation', async () => expect401(`Bearer ${await sign({ org: undefined })}`, /organisation/));

  it('refuses a token for an unknown organisation', async () => expect401(`Bearer ${await sign({ org: crypto.randomUUID() })}`, /does not exist or is not active/));

  it('refuses a revoked token, by jti', async () => {
    const op = await t.operatorToken();
    const issued = await t.http().post('/admin/v1/tokens').set('Authorization', `Bearer ${op}`).send({ organisationId: orgId, role: 'provisioner', subject: 'entra' });
    assert.equal(issued.status, 201);
    const ok = await t.http().get('/scim/v2/ServiceProviderConfig').set('Authorization', `Bearer ${issued.body.token}`);
    assert.equal(ok.status, 200);
    const revoked = await t.http().delete(`/admin/v1/tokens/${issued.body.jti}`).set('Authorization', `Bearer ${op}`);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    await expect401(`Bearer ${issued.body.token}`, /revoked/);
  });

  it('refuses every token of an organisation once it is made inactive, and accepts them again after', async () => {
    const other = (await t.createOrg({ name: 'Tillfälligt stängd skola' })).id;
    const token = await t.token('admin', other);
    const op = await t.operatorToken();
    const off = await t.http().patch(`/admin/v1/organisations/${other}`).set('Authorization', `Bearer ${op}`).send({ active: false });
    assert.equal(off.status, 200);
    await expect401(`Bearer ${token}`, /not active/);
    await t.http().patch(`/admin/v1/organisations/${other}`).set('Authorization', `Bearer ${op}`).send({ active: true });
    const res = await t.http().get('/scim/v2/ServiceProviderConfig').set('Authorization', `Bearer ${token}`);
    assert.equal(res.status, 200);
  });

  for (const role of ['admin', 'provisioner'] as const) {
    it(`answers 403 on /admin/v1 for a ${role} token`, async () => {
      const res = await t.http().get('/admin/v1/organisations').set('Authorization', `Bearer ${await t.token(role, orgId)}`);
      assert.equal(res.status, 403);
      assert.equal(res.body.status, '403');
      assert.match(res.body.detail, new RegExp(role));
    });
  }

  it('answers 401 on /admin/v1 without a token', async () => {
    const res = await t.http().get('/admin/v1/organisations');
    assert.equal(res.status, 401);
  });
});
