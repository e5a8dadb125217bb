import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, PATCH_OP, USER_SCHEMA, scimClient, type ScimClient } from '../../helpers/scim.ts';

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
  it('creates a run of users in one go with each outcome its own: clashes, bad bodies and passwords as if sent one by one', async () => {
    await scim.createUser('run.taken');
    const auditBefore = Number((await t.testDb.db('audit_events').where({ action: 'user.create' }).count({ n: '*' }))[0].n);
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'r1', data: { schemas: [USER_SCHEMA], userName: 'run.one', externalId: 'RUN-1' } },
      { method: 'POST', path: '/Users', bulkId: 'r2', data: { schemas: [USER_SCHEMA], userName: 'RUN.TAKEN' } },
      { method: 'POST', path: '/Users', bulkId: 'r3', data: { schemas: [USER_SCHEMA], userName: 'run.bad', active: 'ja' } },
      { method: 'POST', path: '/Users', bulkId: 'r4', data: { schemas: [USER_SCHEMA], userName: 'run.weak', password: 'kort' } },
      { method: 'POST', path: '/Users', bulkId: 'r5', data: { schemas: [USER_SCHEMA], userName: 'run.pw', password: 'Sommar-Regn-Hav-2026!' } },
      { method: 'POST', path: '/Users', bulkId: 'r6', data: { schemas: [USER_SCHEMA], userName: 'run.six', externalId: 'RUN-1' } },
      { method: 'POST', path: '/Users', bulkId: 'r7', data: { schemas: [USER_SCHEMA], userName: 'run.seven' } },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.Operations.map((o: { bulkId: string }) => o.bulkId), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    assert.deepEqual(res.body.Operations.map((o: { status: string }) => o.status), ['201', '409', '400', '400', '201', '409', '201']);
    assert.match(res.body.Operations[1].response.detail, /RUN\.TAKEN/);
    assert.match(res.body.Operations[5].response.detail, /externalId/);

    const stored = await t.testDb.db('users').whereIn('user_name', ['run.one', 'run.bad', 'run.weak', 'run.pw', 'run.six', 'run.seven']).orderBy('user_name');
    assert.deepEqual(stored.map((u) => u.user_name), ['run.one', 'run.pw', 'run.seven']);
    assert.match(stored.find((u) => u.user_name === 'run.pw').password_hash, /^\$?scrypt/);
    assert.equal(stored.find((u) => u.user_name === 'run.one').password_hash, null);
    for (const op of res.body.Operations.filter((o: { status: string }) => o.status === '201')) {
      const got = await scim.get(op.location.slice(op.location.indexOf('/Users/')));
      assert.equal(got.status, 200);
      assert.equal(got.body.meta.version, op.version);
    }
    // A refused user leaves no claim on its name, and each created one has its audit event.
    assert.equal(await t.testDb.db('user_names').whereIn('lower_name', ['run.bad', 'run.weak', 'run.six']).first(), undefined);
    const auditAfter = Number((await t.testDb.db('audit_events').where({ action: 'user.create' }).count({ n: '*' }))[0].n);
    assert.equal(auditAfter - auditBefore, 3);
    assert.equal((await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'run.six', externalId: 'RUN-6' })).status, 201);
  });
  it('two Bulk requests changing the same groups in opposite orders both succeed, every time', async () => {
    const other = await scim.groupId('studeranderapportering');
    const users = await Promise.all(['krock.ett', 'krock.tva', 'krock.tre', 'krock.fyra'].map((name) => scim.createUser(name)));
    const add = (groupId: string, userId: string) => ({ method: 'PATCH', path: `/Groups/${groupId}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] } });
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        bulk([add(group, users[0].id), add(other, users[1].id), add(group, users[2].id)]),
        bulk([add(other, users[3].id), add(group, users[1].id), add(other, users[0].id)]),
      ]);
      for (const res of [a, b]) {
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.Operations.map((o: { status: string }) => o.status), ['200', '200', '200'], JSON.stringify(res.body));
      }
      await bulk([
        { method: 'PATCH', path: `/Groups/${group}`, data: { schemas: [PATCH_OP], Operations: users.map((u) => ({ op: 'remove', path: `members[value eq "${u.id}"]` })) } },
        { method: 'PATCH', path: `/Groups/${other}`, data: { schemas: [PATCH_OP], Operations: users.map((u) => ({ op: 'remove', path: `members[value eq "${u.id}"]` })) } },
      ]);
    }
    const members = await t.testDb.db('memberships').whereIn('user_id', users.map((u) => u.id)).count({ n: '*' });
    assert.equal(Number(members[0].n), 0);
  });
});
