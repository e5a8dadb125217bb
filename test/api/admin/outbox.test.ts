import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { enqueue, outboxStore } from '../../../src/store/outbox-store.ts';

describe('GET /admin/v1/outbox (SPEC §3.8)', () => {
  let t: TestApp;
  let op: string;
  let schoolId: string;
  let municipalityId: string;
  const base = new Date('2026-04-01T09:00:00Z');
  const minutes = (n: number) => new Date(base.getTime() + n * 60_000);

  before(async () => {
    t = await createTestApp();
    op = await t.operatorToken();
    schoolId = (await t.createOrg({ name: 'Brevskolan' })).id;
    municipalityId = (await t.createOrg({ name: 'Brevkommunen', type: 'municipality', schoolForm: undefined })).id;
    const db = t.testDb.db;
    await enqueue(db, { orgId: schoolId, channel: 'letter', recipient: 'Skolgatan 1, 123 45 Exempelstad', subject: 'Användarnamn', body: 'Ditt användarnamn är anna\r\n', createdAt: minutes(1) });
    await outboxStore(db).enqueue({ orgId: schoolId, channel: 'email', recipient: 'anna@example.se', subject: 'Engångslösenord', body: 'Välj lösenord på {{webbplats}}/byt-engangslosenord', createdAt: minutes(2) });
    const delivered = await enqueue(db, { orgId: municipalityId, channel: 'email', recipient: 'kim@example.se', subject: 'Engångslösenord', body: 'Logga in med …', createdAt: minutes(3) });
    await db('outbox').where({ id: delivered }).update({ status: 'delivered', attempts: 1, delivered_at: minutes(4) });
  });
  after(() => t.close());

  const get = (query = '', token = op) => t.http().get(`/admin/v1/outbox${query}`).set('Authorization', `Bearer ${token}`).set('Host', 'idm.test');

  it('lists every message newest first with its delivery state', async () => {
    const res = await get();
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((m: { recipient: string }) => m.recipient), ['kim@example.se', 'anna@example.se', 'Skolgatan 1, 123 45 Exempelstad']);
    assert.deepEqual(res.body[0], {
      id: res.body[0].id,
      organisationId: municipalityId,
      channel: 'email',
      recipient: 'kim@example.se',
      subject: 'Engångslösenord',
      body: 'Logga in med …',
      status: 'delivered',
      attempts: 1,
      lastError: null,
      createdAt: minutes(3).toISOString(),
      deliveredAt: minutes(4).toISOString(),
    });
    assert.match(res.body[0].id, /^\d+$/);
    assert.equal(res.body[2].body, 'Ditt användarnamn är anna\r\n');
    assert.equal(res.body[1].body, 'Välj lösenord på http://idm.test/byt-engangslosenord', 'the link to the web pages, at the address the operator reached');
    assert.equal(res.body[2].deliveredAt, null);
  });

  it('filters by status and organisation, and limits', async () => {
    const pending = await get('?status=pending');
    assert.deepEqual(pending.body.map((m: { status: string }) => m.status), ['pending', 'pending']);
    const municipality = await get(`?organisationId=${municipalityId}`);
    assert.deepEqual(municipality.body.map((m: { recipient: string }) => m.recipient), ['kim@example.se']);
    const both = await get(`?status=pending&organisationId=${municipalityId}`);
    assert.deepEqual(both.body, []);
    const unknownOrg = await get(`?organisationId=${crypto.randomUUID()}`);
    assert.deepEqual(unknownOrg.body, []);
    const one = await get('?limit=1');
    assert.equal(one.body.length, 1);
    assert.equal(one.body[0].recipient, 'kim@example.se');
  });

  it('refuses malformed filters with 400', async () => {
    for (const query of ['?status=PENDING;drop', '?organisationId=x', '?limit=0', '?limit=1001', '?limit=ten', '?status=a&status=b']) {
      const res = await get(query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.scimType, 'invalidValue');
    }
  });

  it('is for operators only', async () => {
    for (const role of ['admin', 'provisioner'] as const) {
      assert.equal((await get('', await t.token(role, schoolId))).status, 403);
    }
  });

  it('enqueue writes in the caller transaction: a rollback leaves no message', async () => {
    const before = (await get()).body.length;
    await assert.rejects(t.testDb.db.transaction(async (trx) => {
      await enqueue(trx, { orgId: schoolId, channel: 'email', recipient: 'rollback@example.se', subject: 's', body: 'b', createdAt: minutes(9) });
      throw new Error('the change failed');
    }));
    assert.equal((await get()).body.length, before);
  });
});
