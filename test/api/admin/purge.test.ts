import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { patchOp, scimClient } from '../../helpers/scim.ts';
import { PURGE_BATCH } from '../../../src/domain/purge.ts';

const DAY = 86_400_000;
const T0 = new Date('2026-03-01T08:00:00Z');

describe('POST /admin/v1/purge (SPEC §3.6)', () => {
  let t: TestApp;
  let schoolId: string;
  let municipalityId: string;
  const ids: Record<string, string> = {};

  /** Tokens are signed and checked on the test clock, so every step takes fresh ones. */
  const at = async (when: Date) => {
    t.clock.now = when;
    return {
      school: await scimClient(t, schoolId, 'provisioner'),
      municipality: await scimClient(t, municipalityId, 'provisioner'),
      op: await t.operatorToken(),
    };
  };
  const purge = async (op: string, body: Record<string, unknown>) => {
    const res = await t.http().post('/admin/v1/purge').set('Authorization', `Bearer ${op}`).send(body);
    return res;
  };
  const userExists = async (id: string) => Boolean(await t.testDb.db('users').where({ id }).first('id'));

  before(async () => {
    t = await createTestApp();
    t.clock.now = T0;
    schoolId = (await t.createOrg({ name: 'Rensskolan' })).id;
    municipalityId = (await t.createOrg({ name: 'Rensningskommunen', type: 'municipality', schoolForm: undefined })).id;

    // Day 0: never-grouped users in both organisations, a member, and one who will leave a group.
    let c = await at(T0);
    const studietider = await c.school.groupId('studietider-och-utbildningar');
    ids.never = (await c.school.createUser('aldrig.grupp')).id;
    ids.neverMunicipality = (await c.municipality.createUser('kommun.aldrig.grupp')).id;
    ids.member = (await c.school.createUser('medlem.kvar')).id;
    ids.leaver = (await c.school.createUser('lamnade.grupp')).id;
    ids.deactivated = (await c.school.createUser('inaktiverad.utan.grupp')).id;
    for (const id of [ids.member, ids.leaver]) {
      assert.equal((await c.school.patch(`/Groups/${studietider}`, patchOp({ op: 'add', path: 'members', value: [{ value: id }] }))).status, 204);
    }
    // An admin deactivates one: a termination request is opened.
    const admin = await scimClient(t, schoolId, 'admin');
    assert.equal((await admin.patch(`/Users/${ids.deactivated}`, patchOp({ op: 'replace', path: 'active', value: false }))).status, 200);

    // Day 20: the leaver leaves the group.
    c = await at(new Date(T0.getTime() + 20 * DAY));
    assert.equal((await c.school.patch(`/Groups/${studietider}`, patchOp({ op: 'remove', path: `members[value eq "${ids.leaver}"]` }))).status, 204);
    // Day 25: a user created late.
    c = await at(new Date(T0.getTime() + 25 * DAY));
    ids.recent = (await c.school.createUser('ny.anvandare')).id;
  });
  after(() => t.close());

  it('keeps ungrouped_since as the purge reads it: set at creation, null while a member, set on leaving', async () => {
    const rows = await t.testDb.db('users').whereIn('id', [ids.never, ids.member, ids.leaver]).select('id', 'ungrouped_since');
    const since = Object.fromEntries(rows.map((r: { id: string; ungrouped_since: Date | null }) => [r.id, r.ungrouped_since && new Date(r.ungrouped_since).getTime()]));
    assert.equal(since[ids.never], T0.getTime());
    assert.equal(since[ids.member], null);
    assert.equal(since[ids.leaver], T0.getTime() + 20 * DAY);
  });

  it('a dry run on day 31 lists those ungrouped for more than 30 days, across organisations, and deletes nothing', async () => {
    const { op } = await at(new Date(T0.getTime() + 31 * DAY));
    const res = await purge(op, { dryRun: true });
    assert.equal(res.status, 200, res.text);
    const listed = Object.fromEntries(res.body.map((u: { userId: string }) => [u.userId, u]));
    assert.deepEqual(Object.keys(listed).sort(), [ids.never, ids.neverMunicipality, ids.deactivated].sort());
    assert.deepEqual(listed[ids.never], { organisationId: schoolId, userId: ids.never, userName: 'aldrig.grupp', ungroupedSince: T0.toISOString(), deleted: false });
    assert.equal(listed[ids.neverMunicipality].organisationId, municipalityId);
    for (const id of Object.values(ids)) assert.ok(await userExists(id));
    assert.equal(await t.testDb.db('audit_events').where({ action: 'user.purge' }).first(), undefined);
  });

  it('respects the age exactly: on day 30 exactly, "more than 30 days" is nobody', async () => {
    const { op } = await at(new Date(T0.getTime() + 30 * DAY));
    const res = await purge(op, { dryRun: true, olderThanDays: 30 });
    assert.deepEqual(res.body, []);
  });

  it('a smaller olderThanDays takes in those who left a group later', async () => {
    const { op } = await at(new Date(T0.getTime() + 31 * DAY));
    const res = await purge(op, { dryRun: true, olderThanDays: 10 });
    assert.deepEqual(res.body.map((u: { userId: string }) => u.userId).sort(), [ids.never, ids.neverMunicipality, ids.deactivated, ids.leaver].sort());
    const zero = await purge(op, { dryRun: true, olderThanDays: 0 });
    assert.ok(zero.body.some((u: { userId: string }) => u.userId === ids.recent));
    assert.ok(!zero.body.some((u: { userId: string }) => u.userId === ids.member));
  });

  const invalid: [string, Record<string, unknown>][] = [
    ['a negative age', { olderThanDays: -1 }],
    ['a fraction', { olderThanDays: 1.5 }],
    ['a string', { olderThanDays: '30' }],
    ['dryRun as a string', { dryRun: 'yes' }],
    ['an unknown attribute', { days: 30 }],
  ];
  for (const [what, body] of invalid) {
    it(`refuses ${what} with 400 and deletes nothing`, async () => {
      const { op } = await at(new Date(T0.getTime() + 400 * DAY));
      const res = await purge(op, body);
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, body.days !== undefined ? 'invalidSyntax' : 'invalidValue');
      for (const id of Object.values(ids)) assert.ok(await userExists(id));
    });
  }

  it('is for operators only', async () => {
    t.clock.now = new Date(T0.getTime() + 400 * DAY);
    const res = await t.http().post('/admin/v1/purge').set('Authorization', `Bearer ${await t.token('admin', schoolId)}`).send({ olderThanDays: 0 });
    assert.equal(res.status, 403);
    for (const id of Object.values(ids)) assert.ok(await userExists(id));
  });

  it('a real run deletes them, audits each deletion, completes open termination requests, and keeps the rest', async () => {
    const { op, school } = await at(new Date(T0.getTime() + 31 * DAY));
    const res = await purge(op, {});
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.map((u: { userId: string }) => u.userId).sort(), [ids.never, ids.neverMunicipality, ids.deactivated].sort());
    assert.ok(res.body.every((u: { deleted: boolean }) => u.deleted === true));
    for (const id of [ids.never, ids.neverMunicipality, ids.deactivated]) assert.equal(await userExists(id), false);
    for (const id of [ids.member, ids.leaver, ids.recent]) assert.ok(await userExists(id));

    const events = await t.testDb.db('audit_events').where({ action: 'user.purge' }).select('org_id', 'resource_id', 'actor_role', 'changes');
    assert.equal(events.length, 3);
    const never = events.find((e: { resource_id: string }) => e.resource_id === ids.never);
    assert.equal(never.org_id, schoolId);
    assert.equal(never.actor_role, 'operator');
    assert.deepEqual(never.changes.userName, { before: 'aldrig.grupp' });

    const [request] = await t.testDb.db('termination_requests').where({ user_id: ids.deactivated });
    assert.equal(request.status, 'completed');

    // The userName is free again, and a second run finds nothing.
    await school.createUser('aldrig.grupp');
    assert.deepEqual((await purge(op, {})).body, []);
  });

  it('works through more users than one batch', async () => {
    const start = new Date(T0.getTime() + 100 * DAY);
    t.clock.now = start;
    const orgId = (await t.createOrg({ name: 'Stora rensskolan' })).id;
    const now = start;
    const rows = Array.from({ length: PURGE_BATCH + 7 }, (_, i) => ({ id: crypto.randomUUID(), name: `massa.${i}` }));
    await t.testDb.db('user_names').insert(rows.map((r) => ({ lower_name: r.name, org_id: orgId, user_id: r.id })));
    await t.testDb.db('users').insert(rows.map((r) => ({ org_id: orgId, id: r.id, user_name: r.name, data: '{}', created_at: now, modified_at: now, ungrouped_since: now })));

    const { op } = await at(new Date(start.getTime() + 40 * DAY));
    const dry = await purge(op, { dryRun: true });
    const inOrg = dry.body.filter((u: { organisationId: string }) => u.organisationId === orgId);
    assert.equal(inOrg.length, rows.length);
    assert.equal(new Set(inOrg.map((u: { userId: string }) => u.userId)).size, rows.length, 'no user listed twice across batches');

    const real = await purge(op, {});
    assert.equal(real.body.filter((u: { organisationId: string }) => u.organisationId === orgId).length, rows.length);
    assert.equal(Number((await t.testDb.db('users').where({ org_id: orgId }).count({ n: '*' }).first())!.n), 0);
    assert.equal(Number((await t.testDb.db('user_names').where({ org_id: orgId }).count({ n: '*' }).first())!.n), 0);
  });
});

describe('a membership change keeps its users up to date (version, ungrouped_since)', () => {
  let t: TestApp;
  after(() => t?.close());

  it('a user taken out of one group but still in another is not ungrouped; out of the last one, it is from then on; each change is a new version', async () => {
    t = await createTestApp();
    const org = await t.createOrg({ name: 'Tvågruppsskolan', schoolForm: 'komvux', reportsViaFile: true });
    const c = await scimClient(t, org.id, 'provisioner');
    const [a, b] = [await c.groupId('studietider-och-utbildningar'), await c.groupId('studeranderapportering')];
    const both = (await c.createUser('i.tva.grupper')).id;
    const stays = (await c.createUser('stannar.kvar')).id;
    const state = async () => {
      const row = await t.testDb.db('users').where({ id: both }).first('version', 'ungrouped_since');
      return { version: row.version as number, ungroupedSince: row.ungrouped_since && new Date(row.ungrouped_since).getTime() };
    };
    const at = (day: number) => { t.clock.now = new Date(T0.getTime() + day * DAY); };

    at(1);
    for (const group of [a, b]) {
      assert.equal((await c.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: both }, { value: stays }] }))).status, 204);
    }
    const member = await state();
    assert.equal(member.ungroupedSince, null);

    at(2); // PUT keeps only `stays` in a: `both` is still in b
    assert.equal((await c.put(`/Groups/${a}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Studietider och utbildningar', members: [{ value: stays }] })).status, 200);
    const outOfOne = await state();
    assert.equal(outOfOne.ungroupedSince, null);
    assert.ok(outOfOne.version > member.version, 'leaving a group is a new version of the user');

    at(3); // every member of b goes
    assert.equal((await c.patch(`/Groups/${b}`, patchOp({ op: 'remove', path: 'members' }))).status, 204);
    const outOfAll = await state();
    assert.equal(outOfAll.ungroupedSince, T0.getTime() + 3 * DAY);
    assert.ok(outOfAll.version > outOfOne.version);
    const kept = await t.testDb.db('users').where({ id: stays }).first('ungrouped_since');
    assert.equal(kept.ungrouped_since, null, 'still a member of a');
  });
});
