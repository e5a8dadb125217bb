import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { scimClient } from '../../helpers/scim.ts';
import { EVENT_URIS } from '../../../src/events/set-builder.ts';

describe('/admin/v1/receivers — change-event receivers (SPEC §6.6)', () => {
  let t: TestApp;
  let orgId: string;
  const admin = async () => t.http().set('Authorization', `Bearer ${await t.operatorToken()}`);
  const count = async () => (await (await admin()).get('/admin/v1/receivers')).body.length;

  before(async () => {
    t = await createTestApp();
    orgId = (await t.createOrg({ name: 'Mottagarskolan', schoolForm: 'hogskola' })).id;
  });
  after(() => t.close());

  it('registers, shows, changes and removes a receiver', async () => {
    const created = await (await admin()).post('/admin/v1/receivers').send({ name: 'Portalen', audience: 'https://portal.example.se', endpointUrl: 'https://portal.example.se/events', organisationIds: [orgId], eventTypes: ['create', 'delete'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.location, `/admin/v1/receivers/${created.body.id}`);
    assert.deepEqual({ ...created.body, id: undefined, createdAt: undefined, updatedAt: undefined }, {
      id: undefined, name: 'Portalen', audience: 'https://portal.example.se', delivery: 'push', endpointUrl: 'https://portal.example.se/events',
      organisationIds: [orgId], eventTypes: ['create', 'delete'], payload: 'notice', enabled: true, createdAt: undefined, updatedAt: undefined,
    });
    const id = created.body.id;
    assert.equal((await (await admin()).get(`/admin/v1/receivers/${id}`)).body.name, 'Portalen');
    const changed = await (await admin()).patch(`/admin/v1/receivers/${id}`).send({ enabled: false, organisationIds: null, payload: 'full' });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.enabled, false);
    assert.equal(changed.body.organisationIds, null);
    assert.equal(changed.body.payload, 'full');
    assert.equal(changed.body.name, 'Portalen', 'what is not given stays');
    const [listed] = (await (await admin()).get('/admin/v1/receivers')).body;
    assert.equal(listed.backlog, 0);
    assert.equal(listed.parked, 0);
    assert.equal(listed.lastError, null);
    assert.equal((await (await admin()).delete(`/admin/v1/receivers/${id}`)).status, 204);
    assert.equal((await (await admin()).get(`/admin/v1/receivers/${id}`)).status, 404);
    assert.equal((await (await admin()).delete(`/admin/v1/receivers/${id}`)).status, 404);
    const audited = await t.testDb.db('audit_events').where({ resource_type: 'Receiver', resource_id: id }).orderBy('id').pluck('action');
    assert.deepEqual(audited, ['receiver.create', 'receiver.update', 'receiver.remove']);
  });

  it('refuses what cannot be a receiver, with a SCIM error, and stores nothing', async () => {
    const before = await count();
    const refuse = async (body: Record<string, unknown>, status: number, detail: RegExp) => {
      const res = await (await admin()).post('/admin/v1/receivers').send(body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.status, String(status));
      assert.match(res.body.detail, detail);
    };
    await refuse({ name: 'X', audience: 'x', endpointUrl: 'http://portal.example.se/events' }, 400, /https/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: 'ftp://127.0.0.1/' }, 400, /https/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: 'not a url' }, 400, /absolute URL/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: 'https://u:p@portal.example.se/' }, 400, /password/);
    await refuse({ audience: 'x', endpointUrl: null }, 400, /name/);
    await refuse({ name: 'X', endpointUrl: null }, 400, /audience/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: null, organisationIds: ['00000000-0000-4000-8000-000000000000'] }, 400, /no organisation/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: null, organisationIds: [] }, 400, /organisationIds/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: null, eventTypes: ['update'] }, 400, /eventTypes/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: null, payload: 'some' }, 400, /payload/);
    await refuse({ name: 'X', audience: 'x', endpointUrl: null, colour: 'red' }, 400, /unknown field/);
    assert.equal(await count(), before);
    assert.equal((await (await admin()).post('/admin/v1/receivers').send({ name: 'Tvilling', audience: 'a', endpointUrl: null })).status, 201);
    await refuse({ name: 'tvilling', audience: 'b', endpointUrl: null }, 409, /exists already/);
    // Loopback may be plain http: a receiver on this machine.
    assert.equal((await (await admin()).post('/admin/v1/receivers').send({ name: 'Lokal', audience: 'a', endpointUrl: 'http://127.0.0.1:9000/events' })).status, 201);
    assert.equal((await (await admin()).patch('/admin/v1/receivers/not-an-id').send({ enabled: false })).status, 404);
  });

  it('is for operators only', async () => {
    const scim = await scimClient(t, orgId, 'admin');
    const res = await t.http().get('/admin/v1/receivers').set('Authorization', `Bearer ${scim.token}`);
    assert.equal(res.status, 403);
  });

  it('issues receiver tokens only for a registered receiver, and never with an organisation', async () => {
    const issue = async (body: Record<string, unknown>) => (await admin()).post('/admin/v1/tokens').send({ subject: 'katalog', ...body });
    const poller = (await (await admin()).post('/admin/v1/receivers').send({ name: 'Poller', audience: 'p', endpointUrl: null })).body;
    assert.equal((await issue({ role: 'receiver', receiverId: poller.id })).status, 201);
    assert.equal((await issue({ role: 'receiver' })).status, 400);
    assert.equal((await issue({ role: 'receiver', receiverId: '00000000-0000-4000-8000-000000000000' })).status, 404);
    assert.equal((await issue({ role: 'receiver', receiverId: poller.id, organisationId: orgId })).status, 400);
    assert.equal((await issue({ role: 'admin', organisationId: orgId, receiverId: poller.id })).status, 400);
  });

  it('publishes the public signing key at /.well-known/jwks.json, without the private part', async () => {
    const res = await t.http().get('/.well-known/jwks.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.keys.length, 1);
    const [key] = res.body.keys;
    assert.equal(key.kid, t.key.kid);
    assert.equal(key.kty, 'EC');
    assert.equal(key.crv, 'P-256');
    assert.equal(key.alg, 'ES256');
    assert.equal(key.d, undefined);
  });

  it('advertises security events in ServiceProviderConfig (RFC 9967 §4)', async () => {
    const scim = await scimClient(t, orgId);
    const res = await scim.get('/ServiceProviderConfig');
    assert.deepEqual(res.body.securityEvents, { asyncRequest: 'none', eventUris: EVENT_URIS });
  });
});

describe('/.well-known/jwks.json with a retired key', () => {
  it('keeps publishing the retired public key next to the current one', async () => {
    const retired = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'old-1' };
    const t = await createTestApp({ retiredPublicKeys: JSON.stringify([retired]) });
    try {
      const res = await t.http().get('/.well-known/jwks.json');
      assert.deepEqual(res.body.keys.map((k: { kid: string }) => k.kid), [t.key.kid, 'old-1']);
    } finally {
      await t.close();
    }
  });
});
