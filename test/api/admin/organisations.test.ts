import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { luhnValid, normaliseOrganisationNumber } from '../../../src/domain/organisation-number.ts';

describe('organisation numbers', () => {
  it('accepts valid numbers with and without the hyphen', () => {
    assert.equal(normaliseOrganisationNumber('2120000142'), '212000-0142');
    assert.equal(normaliseOrganisationNumber('556036-0793'), '556036-0793');
  });
  it('refuses a wrong check digit, wrong length and letters', () => {
    assert.equal(normaliseOrganisationNumber('212000-0143'), undefined);
    assert.equal(normaliseOrganisationNumber('21200001'), undefined);
    assert.equal(normaliseOrganisationNumber('21200O-0142'), undefined);
    assert.equal(luhnValid('79927398713'), true);
  });
});

describe('/admin/v1/organisations', () => {
  let t: TestApp;
  let op: string;
  before(async () => {
    t = await createTestApp();
    op = await t.operatorToken();
  });
  after(() => t.close());

  const post = (body: unknown) => t.http().post('/admin/v1/organisations').set('Authorization', `Bearer ${op}`).send(body as object);

  it('creates a school with the service groups offered to schools', async () => {
    const res = await post({ name: 'Exempelgymnasiet', type: 'school', schoolForm: 'gymnasieskola', organisationNumber: '2120000142', postalAddress: 'Skolgatan 1' });
    assert.equal(res.status, 201);
    assert.equal(res.body.organisationNumber, '212000-0142');
    assert.equal(res.body.active, true);
    assert.equal(res.headers.location, `/admin/v1/organisations/${res.body.id}`);
    const groups = await t.testDb.db('groups').where({ org_id: res.body.id }).orderBy('service_code').pluck('service_code');
    assert.deepEqual(groups, ['behorighetsadministrator', 'studeranderapportering', 'studietider-och-utbildningar']);
  });

  it('creates a municipality with studiestartsstöd and the admin group only', async () => {
    const res = await post({ name: 'Exempelkommun', type: 'municipality' });
    assert.equal(res.status, 201);
    const groups = await t.testDb.db('groups').where({ org_id: res.body.id }).orderBy('service_code').pluck('service_code');
    assert.deepEqual(groups, ['behorighetsadministrator', 'studiestartsstod']);
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['a bad check digit', { name: 'A', type: 'school', schoolForm: 'komvux', organisationNumber: '212000-0143' }, /check digit/],
    ['an unknown type', { name: 'A', type: 'company' }, /type must be/],
    ['an unknown school form', { name: 'A', type: 'school', schoolForm: 'grundskola' }, /schoolForm must be/],
    ['a school without a form', { name: 'A', type: 'school' }, /needs a schoolForm/],
    ['a municipality with a school form', { name: 'A', type: 'municipality', schoolForm: 'komvux' }, /no schoolForm/],
    ['a municipality reporting via file', { name: 'A', type: 'municipality', reportsViaFile: true }, /schools only/],
    ['a missing name', { type: 'municipality' }, /name is required/],
    ['reportsViaFile as a string', { name: 'A', type: 'school', schoolForm: 'komvux', reportsViaFile: 'yes' }, /true or false/],
    ['an unknown attribute', { name: 'A', type: 'municipality', colour: 'blue' }, /unknown attribute/],
  ];
  for (const [what, body, detail] of invalid) {
    it(`refuses ${what} with 400 and stores nothing`, async () => {
      const before = await t.testDb.db('organisations').count({ n: '*' }).first();
      const res = await post(body);
      assert.equal(res.status, 400);
      assert.match(res.body.detail, detail);
      const afterCount = await t.testDb.db('organisations').count({ n: '*' }).first();
      assert.equal(Number(afterCount!.n), Number(before!.n));
    });
  }

  it('refuses a duplicate organisation number with 409', async () => {
    await post({ name: 'Första', type: 'municipality', organisationNumber: '556036-0793' });
    const res = await post({ name: 'Andra', type: 'municipality', organisationNumber: '5560360793' });
    assert.equal(res.status, 409);
    assert.equal(res.body.scimType, 'uniqueness');
  });

  it('refuses a body that is not JSON, or of another content type', async () => {
    const bad = await t.http().post('/admin/v1/organisations').set('Authorization', `Bearer ${op}`).set('Content-Type', 'application/json').send('{"name":');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.scimType, 'invalidSyntax');
    const text = await t.http().post('/admin/v1/organisations').set('Authorization', `Bearer ${op}`).set('Content-Type', 'text/plain').send('hello');
    assert.equal(text.status, 415);
  });

  it('lists, shows and updates an organisation', async () => {
    const created = (await post({ name: 'Komvux Syd', type: 'school', schoolForm: 'komvux' })).body;
    const list = await t.http().get('/admin/v1/organisations').set('Authorization', `Bearer ${op}`);
    assert.ok(list.body.some((o: { id: string }) => o.id === created.id));
    const updated = await t.http().patch(`/admin/v1/organisations/${created.id}`).set('Authorization', `Bearer ${op}`).send({ reportsViaFile: true, name: 'Komvux Syd och Väst' });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.reportsViaFile, true);
    assert.equal(updated.body.name, 'Komvux Syd och Väst');
    const shown = await t.http().get(`/admin/v1/organisations/${created.id}`).set('Authorization', `Bearer ${op}`);
    assert.deepEqual(shown.body, updated.body);
    const audit = await t.testDb.db('audit_events').where({ resource_id: created.id, action: 'organisation.update' }).first();
    assert.deepEqual(audit.changes.reportsViaFile, { before: false, after: true });
  });

  it('refuses an invalid update and leaves the organisation unchanged', async () => {
    const created = (await post({ name: 'Folkhögskolan', type: 'school', schoolForm: 'folkhogskola' })).body;
    const res = await t.http().patch(`/admin/v1/organisations/${created.id}`).set('Authorization', `Bearer ${op}`).send({ schoolForm: null });
    assert.equal(res.status, 400);
    const typeChange = await t.http().patch(`/admin/v1/organisations/${created.id}`).set('Authorization', `Bearer ${op}`).send({ type: 'municipality', schoolForm: null });
    assert.equal(typeChange.status, 400);
    assert.equal(typeChange.body.scimType, 'mutability');
    const shown = await t.http().get(`/admin/v1/organisations/${created.id}`).set('Authorization', `Bearer ${op}`);
    assert.deepEqual(shown.body, created);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid']) {
      const res = await t.http().get(`/admin/v1/organisations/${id}`).set('Authorization', `Bearer ${op}`);
      assert.equal(res.status, 404);
    }
  });
});
