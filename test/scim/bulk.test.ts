import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { BULK_REQUEST, PATCH_OP, USER_SCHEMA, scimClient, type ScimClient } from '../helpers/scim.ts';

describe('POST /Bulk (RFC 7644 §3.7)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let group: string;

  before(async () => {
    t = await createTestApp();
    scim = await scimClient(t, (await t.createOrg({ name: 'Bulkskolan', schoolForm: 'hogskola' })).id);
    group = await scim.groupId('studietider-och-utbildningar');
  });
  after(() => t.close());

  const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) => scim.post('/Bulk', { schemas: [BULK_REQUEST], Operations, ...extra });

  it('creates users and adds them to a group by bulkId reference, in whatever order they come', async () => {
    const res = await bulk([
      { method: 'PATCH', path: `/Groups/${group}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:kalle' }, { value: 'bulkId:lisa' }] }] } },
      { method: 'POST', path: '/Users', bulkId: 'kalle', data: { schemas: [USER_SCHEMA], userName: 'kalle.bulk', emails: [{ value: 'kalle@bulk.se', type: 'work' }] } },
      { method: 'POST', path: '/Users', bulkId: 'lisa', data: { schemas: [USER_SCHEMA], userName: 'lisa.bulk', emails: [{ value: 'lisa@bulk.se', type: 'work' }] } },
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
    const byId = Object.fromEntries(res.body.Operations.map((o: { bulkId?: string; method: string }) => [o.bulkId ?? o.method, o]));
    assert.equal(byId.kalle.status, '201');
    assert.match(byId.kalle.location, /\/Users\/[0-9a-f-]{36}$/);
    assert.match(byId.kalle.version, /^W\//);
    assert.equal(byId.PATCH.status, '200');
    const members = await t.testDb.db('memberships').where({ group_id: group }).pluck('user_id');
    const kalleId = byId.kalle.location.split('/').pop();
    const lisaId = byId.lisa.location.split('/').pop();
    assert.deepEqual(members.sort(), [kalleId, lisaId].sort());
  });

  it('reports each failure in its operation and carries on; failOnErrors stops after that many', async () => {
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER_SCHEMA], userName: 'dup.bulk' } },
      { method: 'POST', path: '/Users', bulkId: 'b', data: { schemas: [USER_SCHEMA], userName: 'DUP.bulk' } },
      { method: 'POST', path: '/Users', bulkId: 'c', data: { schemas: [USER_SCHEMA], userName: 'after.failure' } },
    ]);
    assert.deepEqual(res.body.Operations.map((o: { status: string }) => o.status), ['201', '409', '201']);
    assert.equal(res.body.Operations[1].response.scimType, 'uniqueness');

    const externalIds = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'e1', data: { schemas: [USER_SCHEMA], userName: 'ext.bulk.one', externalId: 'X-1' } },
      { method: 'POST', path: '/Users', bulkId: 'e2', data: { schemas: [USER_SCHEMA], userName: 'ext.bulk.two', externalId: 'X-1' } },
    ]);
    assert.deepEqual(externalIds.body.Operations.map((o: { status: string }) => o.status), ['201', '409']);
    assert.match(externalIds.body.Operations[1].response.detail, /externalId/);

    const stopped = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'x', data: { schemas: [USER_SCHEMA] } },
      { method: 'POST', path: '/Users', bulkId: 'y', data: { schemas: [USER_SCHEMA], userName: 'never.created' } },
    ], { failOnErrors: 1 });
    assert.deepEqual(stopped.body.Operations.map((o: { status: string }) => o.status), ['400']);
    assert.equal(await t.testDb.db('users').where({ user_name: 'never.created' }).first(), undefined);
  });

  it('runs every operation under the single-request rules: DELETE by a provisioner is 403, groups cannot be created', async () => {
    const user = await scim.createUser('bulk.delete.me');
    const res = await bulk([
      { method: 'DELETE', path: `/Users/${user.id}` },
      { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Egen grupp' } },
    ]);
    assert.deepEqual(res.body.Operations.map((o: { status: string }) => o.status), ['403', '403']);
    assert.equal((await scim.get(`/Users/${user.id}`)).status, 200);
  });

  it('fails an operation whose bulkId reference is unknown, failed or circular', async () => {
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'ok', data: { schemas: [USER_SCHEMA], userName: 'ref.ok' } },
      { method: 'PATCH', path: '/Users/bulkId:missing', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } },
      { method: 'POST', path: '/Users', bulkId: 'p', data: { schemas: [USER_SCHEMA], userName: 'ref.p', externalId: 'bulkId:q' } },
      { method: 'POST', path: '/Users', bulkId: 'q', data: { schemas: [USER_SCHEMA], userName: 'ref.q', externalId: 'bulkId:p' } },
    ]);
    const statuses = res.body.Operations.map((o: { status: string }) => o.status);
    assert.equal(statuses[0], '201');
    assert.equal(statuses.filter((s: string) => s !== '201').length, 3, JSON.stringify(res.body.Operations));
  });

  it('refuses more than maxOperations with 413, and a body that is not a BulkRequest with 400', async () => {
    const ops = Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/x${i}` }));
    const tooMany = await bulk(ops);
    assert.equal(tooMany.status, 413);
    assert.equal(tooMany.body.status, '413');
    const wrong = await scim.post('/Bulk', { Operations: [] });
    assert.equal(wrong.status, 400);
    const noBulkId = await bulk([{ method: 'POST', path: '/Users', data: { schemas: [USER_SCHEMA], userName: 'no.bulkid' } }]);
    assert.equal(noBulkId.status, 400);
  });

  it('refuses a payload above maxPayloadSize with 413 and stores nothing', async () => {
    const big = 'x'.repeat(1_100_000);
    const res = await bulk([{ method: 'POST', path: '/Users', bulkId: 'big', data: { schemas: [USER_SCHEMA], userName: 'too.big', title: big } }]);
    assert.equal(res.status, 413);
    assert.equal(await t.testDb.db('users').where({ user_name: 'too.big' }).first(), undefined);
  });

  it('honours version as If-Match per operation', async () => {
    const user = await scim.createUser('bulk.version');
    await scim.patch(`/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'ny' }] });
    const res = await bulk([{ method: 'PUT', path: `/Users/${user.id}`, version: user.meta.version, data: { schemas: [USER_SCHEMA], userName: 'bulk.version' } }]);
    assert.equal(res.body.Operations[0].status, '412');
  });
});
