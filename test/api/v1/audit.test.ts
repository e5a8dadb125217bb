import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

type Event = {
  id: string;
  at: string;
  organisationId: string | null;
  actor: { subject: string; role: string };
  action: string;
  resourceType: string;
  resourceId: string | null;
  requestId: string | null;
  changes: any;
};

const PASSWORD = 'Hemligt123Abc';
const NEW_PASSWORD = 'Annat456Xyzq';

/** Fixture events written straight to the table, in 2020, so they sort below everything else. */
interface Fixture {
  id: string;
  at: string;
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
}

const newestFirst = (a: { at: string; id: string }, b: { at: string; id: string }) =>
  a.at === b.at ? Number(BigInt(b.id) - BigInt(a.id)) : a.at < b.at ? 1 : -1;

describe('audit trail: GET /api/v1/audit and GET /admin/v1/audit', () => {
  let t: TestApp;
  let scimA: ScimClient;
  let scimB: ScimClient;
  let adminA: string;
  let adminB: string;
  let operator: string;
  let annaId: string;
  let fixture: Fixture[];

  before(async () => {
    t = await createTestApp();
    const orgA = await t.createOrg({ name: 'Komvux Revision', schoolForm: 'komvux', reportsViaFile: true });
    const orgB = await t.createOrg({ name: 'Grannkommunen', type: 'municipality', schoolForm: undefined });
    scimA = await scimClient(t, orgA.id, 'provisioner', 'hr-sync-a');
    scimB = await scimClient(t, orgB.id, 'provisioner', 'hr-sync-b');
    adminA = await t.token('admin', orgA.id, 'admin-a');
    adminB = await t.token('admin', orgB.id, 'admin-b');
    operator = await t.operatorToken();
  });
  after(() => t.close());

  const get = (token: string, path: string) => t.http().get(path).set('Authorization', `Bearer ${token}`);
  const list = (token: string, query: Record<string, string> = {}, base = '/api/v1/audit') => get(token, base).query(query);

  /** Follows nextCursor to the end, checking every page's size. */
  async function everything(token: string, query: Record<string, string> = {}, base = '/api/v1/audit'): Promise<Event[]> {
    const events: Event[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const res = await list(token, cursor ? { ...query, cursor } : query, base);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.events.length <= Number(query.count ?? 50));
      events.push(...res.body.events);
      if (!res.body.nextCursor) return events;
      assert.equal(res.body.events.length, Number(query.count ?? 50), 'only the last page is short');
      cursor = res.body.nextCursor;
    }
    throw new Error('no end to the listing');
  }

  describe('what is recorded', () => {
    it('records SCIM changes with actor, request id and before/after values — and never a password', async () => {
      const created = await scimA.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'anna.revision',
        name: { givenName: 'Anna', familyName: 'Revision' },
        emails: [{ value: 'anna@revision.se', type: 'work', primary: true }],
        password: PASSWORD,
      }).set('X-Request-Id', 'audit-create-1');
      assert.equal(created.status, 201, JSON.stringify(created.body));
      annaId = created.body.id;
      const patched = await scimA.patch(`/Users/${annaId}`, patchOp(
        { op: 'replace', path: 'name.givenName', value: 'Annika' },
        { op: 'replace', path: 'password', value: NEW_PASSWORD },
      ));
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const group = await scimA.groupId('studietider-och-utbildningar');
      const added = await scimA.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: annaId }] }));
      assert.equal(added.status, 204, JSON.stringify(added.body));

      const res = await list(adminA, { resourceId: annaId });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.equal(res.body.nextCursor, undefined);
      const actions = res.body.events.map((e: Event) => e.action);
      assert.ok(actions.indexOf('user.update') < actions.indexOf('user.create'), 'newest first');
      const create = res.body.events.find((e: Event) => e.action === 'user.create') as Event;
      const update = res.body.events.find((e: Event) => e.action === 'user.update') as Event;

      assert.equal(create.organisationId, scimA.orgId);
      assert.deepEqual(create.actor, { subject: 'hr-sync-a', role: 'provisioner' });
      assert.equal(create.resourceType, 'User');
      assert.equal(create.resourceId, annaId);
      assert.equal(create.requestId, 'audit-create-1');
      assert.match(create.id, /^\d+$/);
      assert.equal(new Date(create.at).toISOString(), create.at);
      assert.deepEqual(create.changes.userName, { after: 'anna.revision' });
      assert.deepEqual(create.changes.name, { after: { givenName: 'Anna', familyName: 'Revision' } });
      if (create.changes.password !== undefined) assert.deepEqual(create.changes.password, { changed: true });

      assert.deepEqual(update.changes.name, {
        before: { givenName: 'Anna', familyName: 'Revision' },
        after: { givenName: 'Annika', familyName: 'Revision' },
      });
      assert.deepEqual(update.changes.password, { changed: true });
      assert.equal(update.changes.userName, undefined, 'only changed attributes are listed');

      const membership = (await list(adminA, { resourceId: group, action: 'group.members' })).body.events as Event[];
      assert.equal(membership.length, 1);
      assert.deepEqual(membership[0].changes.members.added, [annaId]);

      // Neither the stored rows nor anything the API answers holds a password.
      const rows = await t.testDb.db.raw('select row_to_json(a)::text as row from audit_events a');
      const stored = (rows.rows as { row: string }[]).map((r) => r.row).join('\n');
      assert.ok(stored.includes('anna.revision'));
      for (const secret of [PASSWORD, NEW_PASSWORD]) {
        assert.ok(!stored.includes(secret), 'a password reached audit_events');
        assert.ok(!JSON.stringify(res.body).includes(secret));
      }
      const hash = (await t.testDb.db('users').where({ id: annaId }).first('password_hash')).password_hash as string;
      assert.ok(!stored.includes(hash), 'a password hash reached audit_events');
    });

    it('answers newest first, by time then id', async () => {
      const b = await scimA.createUser('bo.revision');
      await scimA.patch(`/Users/${b.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
      const events = await everything(adminA);
      assert.ok(events.length >= 5);
      assert.deepEqual([...events].sort(newestFirst).map((e) => e.id), events.map((e) => e.id));
      const ofB = events.filter((e) => e.resourceId === b.id).map((e) => e.action);
      assert.ok(ofB.indexOf('user.update') < ofB.indexOf('user.create'));
      assert.ok(events.findIndex((e) => e.resourceId === b.id) < events.findIndex((e) => e.resourceId === annaId));
      assert.equal(events[events.length - 1].action, 'organisation.create');
    });
  });

  describe('paging and filters', () => {
    before(async () => {
      // 25 events: five per second, three of each five at exactly the same instant (the id breaks
      // the tie) and two a few microseconds later, so the keyset is tested below a millisecond.
      fixture = [];
      for (let i = 0; i < 25; i++) {
        const micro = i % 5 < 3 ? 0 : i % 5;
        const at = `2020-01-01T00:00:0${Math.floor(i / 5)}.${String(micro).padStart(6, '0')}Z`;
        const event = {
          actor: i % 2 ? 'alice' : 'bob',
          action: i % 3 === 0 ? 'user.delete' : 'user.update',
          resourceType: i % 4 === 0 ? 'Group' : 'User',
          resourceId: `fixture-${i % 6}`,
        };
        const { rows } = await t.testDb.db.raw(
          `insert into audit_events (org_id, at, actor_subject, actor_role, action, resource_type, resource_id, request_id, changes)
           values (?, ?::timestamptz, ?, 'admin', ?, ?, ?, ?, ?::jsonb) returning id::text as id`,
          [scimA.orgId, at, event.actor, event.action, event.resourceType, event.resourceId, `fixture-request-${i}`, JSON.stringify({ n: { after: i } })],
        );
        fixture.push({ id: rows[0].id, at, ...event });
      }
    });

    const inFixture = { to: '2020-01-02T00:00:00Z' };
    const expectIds = (keep: (f: Fixture) => boolean) => fixture.filter(keep).sort(newestFirst).map((f) => f.id);

    it('pages through every event with cursors, without gaps or repeats, whatever the page size', async () => {
      const { rows } = await t.testDb.db.raw('select id::text as event_id from audit_events where org_id = ? order by at desc, audit_events.id desc', [scimA.orgId]);
      const all = (rows as { event_id: string }[]).map((r) => r.event_id);
      assert.ok(all.length > 30);
      for (const count of ['1', '7', '50', '500']) {
        assert.deepEqual((await everything(adminA, { count })).map((e) => e.id), all, `count=${count}`);
      }
      assert.deepEqual((await everything(adminA, { ...inFixture, count: '1' })).map((e) => e.id), expectIds(() => true));
    });

    it('defaults to 50 a page and says nextCursor only when more follow', async () => {
      for (let i = 0; i < 30; i++) await scimA.createUser(`fyllnad.${i}`);
      const first = await list(adminA);
      assert.equal(first.body.events.length, 50);
      assert.equal(typeof first.body.nextCursor, 'string');
      const exact = await list(adminA, { ...inFixture, count: '25' });
      assert.equal(exact.body.events.length, 25);
      assert.equal(exact.body.nextCursor, undefined);
    });

    it('an event appended while paging does not disturb the pages after the cursor', async () => {
      const first = await list(adminA, { count: '3' });
      await scimA.createUser('ny.under.blaedring');
      const rest = await everything(adminA, { count: '200', cursor: first.body.nextCursor });
      const ids = [...first.body.events, ...rest].map((e: Event) => e.id);
      assert.equal(new Set(ids).size, ids.length);
      assert.ok(!rest.some((e) => e.resourceType === 'User' && e.action === 'user.create' && e.changes.userName.after === 'ny.under.blaedring'));
    });

    it('from is inclusive and to exclusive, with any offset and below the millisecond', async () => {
      const window = (f: Fixture) => f.at >= '2020-01-01T00:00:02' && f.at < '2020-01-01T00:00:04';
      const ids = async (query: Record<string, string>) => (await everything(adminA, query)).map((e) => e.id);
      assert.deepEqual(await ids({ from: '2020-01-01T00:00:02Z', to: '2020-01-01T00:00:04Z' }), expectIds(window));
      assert.equal(expectIds(window).length, 10);
      assert.deepEqual(await ids({ from: '2020-01-01T01:00:02+01:00', to: '2020-01-01T01:00:04+0100' }), expectIds(window));
      assert.deepEqual(await ids({ from: '2020-01-01T00:00:01.000003Z', to: '2020-01-01T00:00:02Z' }), expectIds((f) => f.at.startsWith('2020-01-01T00:00:01') && f.at > '2020-01-01T00:00:01.000000Z'));
      assert.deepEqual(await ids({ from: '2020-01-01T00:00:04.0000039Z', ...inFixture }), expectIds((f) => f.at === '2020-01-01T00:00:04.000004Z'));
      // An unencoded "+" arrives as a space; it is read as the offset sign.
      const res = await get(adminA, '/api/v1/audit?from=2020-01-01T01:00:02+01:00&to=2020-01-01T01:00:04+01:00');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.events.map((e: Event) => e.id), expectIds(window));
    });

    it('filters by resourceType, resourceId, actor and action, alone and together', async () => {
      const cases: [Record<string, string>, (f: Fixture) => boolean][] = [
        [{ resourceType: 'Group' }, (f) => f.resourceType === 'Group'],
        [{ resourceId: 'fixture-3' }, (f) => f.resourceId === 'fixture-3'],
        [{ actor: 'alice' }, (f) => f.actor === 'alice'],
        [{ action: 'user.delete' }, (f) => f.action === 'user.delete'],
        [{ actor: 'bob', action: 'user.update', resourceType: 'User' }, (f) => f.actor === 'bob' && f.action === 'user.update' && f.resourceType === 'User'],
        [{ actor: 'nobody' }, () => false],
      ];
      for (const [query, keep] of cases) {
        const events = await everything(adminA, { ...query, ...inFixture, count: '4' });
        assert.deepEqual(events.map((e) => e.id), expectIds(keep), JSON.stringify(query));
      }
      const real = await everything(adminA, { actor: 'hr-sync-a', action: 'user.create', resourceType: 'User' });
      assert.ok(real.length >= 30);
      assert.ok(real.every((e) => e.actor.subject === 'hr-sync-a' && e.action === 'user.create'));
      // Exact match, case included.
      assert.equal((await list(adminA, { actor: 'ALICE' })).body.events.length, 0);
    });

    it('shows an event with every field', async () => {
      const [event] = (await list(adminA, { ...inFixture, count: '1' })).body.events as Event[];
      const source = fixture.find((f) => f.id === event.id)!;
      assert.deepEqual(event, {
        id: source.id,
        at: '2020-01-01T00:00:04.000Z',
        organisationId: scimA.orgId,
        actor: { subject: source.actor, role: 'admin' },
        action: source.action,
        resourceType: source.resourceType,
        resourceId: source.resourceId,
        requestId: `fixture-request-${fixture.indexOf(source)}`,
        changes: { n: { after: fixture.indexOf(source) } },
      });
    });
  });

  describe('refusals', () => {
    it('refuses bad parameters with 400 and a SCIM error body', async () => {
      const cursor = (await list(adminA, { count: '1' })).body.nextCursor as string;
      const forged = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');
      const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
      const cases: [string, string][] = [
        ['count=0', 'invalidCount'],
        ['count=501', 'invalidCount'],
        ['count=abc', 'invalidCount'],
        ['count=-1', 'invalidCount'],
        ['count=2.5', 'invalidCount'],
        ['count=', 'invalidCount'],
        ['from=yesterday', 'invalidValue'],
        ['from=2026-02-30T00:00:00Z', 'invalidValue'],
        ['from=2026-01-01T00:00:00', 'invalidValue'],
        ['from=2026-01-01', 'invalidValue'],
        ['to=2026-01-01T24:00:00Z', 'invalidValue'],
        ['to=2026-13-01T00:00:00Z', 'invalidValue'],
        ['to=2026-01-01T00:00:00%2B25:00', 'invalidValue'],
        ['cursor=!!!', 'invalidCursor'],
        ['cursor=bm90IGpzb24', 'invalidCursor'],
        [`cursor=${forged({ ...decoded, i: 'x' })}`, 'invalidCursor'],
        [`cursor=${forged({ ...decoded, i: '99999999999999999999' })}`, 'invalidCursor'],
        [`cursor=${forged({ ...decoded, a: '2026-02-30T00:00:00.000000Z' })}`, 'invalidCursor'],
        [`cursor=${cursor}&actor=someone-else`, 'invalidCursor'],
        ['resourceId=', 'invalidValue'],
        ['actor=a&actor=b', 'invalidSyntax'],
        ['resourcetype=User', 'invalidSyntax'],
        [`organisationId=${scimA.orgId}`, 'invalidSyntax'],
      ];
      for (const [query, scimType] of cases) {
        const res = await get(adminA, `/api/v1/audit?${query}`);
        assert.equal(res.status, 400, `${query}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.match(res.headers['content-type'], /application\/scim\+json/);
        assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
        assert.equal(res.body.status, '400');
        assert.equal(res.body.scimType, scimType, query);
        assert.equal(typeof res.body.detail, 'string');
      }
      const admin = await get(operator, '/admin/v1/audit?organisationId=not-a-uuid');
      assert.equal(admin.status, 400);
      assert.equal(admin.body.scimType, 'invalidValue');
    });

    it('is closed to provisioners, to operators without an organisation and to anonymous callers', async () => {
      const provisioner = await get(scimA.token, '/api/v1/audit');
      assert.equal(provisioner.status, 403);
      assert.equal(provisioner.body.status, '403');
      assert.equal((await get(operator, '/api/v1/audit')).status, 403);
      assert.equal((await t.http().get('/api/v1/audit')).status, 401);
      assert.equal((await get(adminA, '/admin/v1/audit')).status, 403);
      assert.equal((await get(scimA.token, '/admin/v1/audit')).status, 403);
    });

    it('lets an operator with an organisation read that organisation’s trail', async () => {
      const token = await t.token('operator', scimA.orgId, 'csn-anna');
      const events = await everything(token, { count: '500' });
      assert.ok(events.length > 30);
      assert.ok(events.every((e) => e.organisationId === scimA.orgId));
    });
  });

  describe('tenant isolation', () => {
    it('shows B’s admin only B’s events, and nothing by A’s ids, actors or cursors', async () => {
      await scimB.createUser('bertil.granne');
      const eventsB = await everything(adminB, { count: '500' });
      assert.ok(eventsB.length >= 2);
      assert.ok(eventsB.every((e) => e.organisationId === scimB.orgId));
      const { rows } = await t.testDb.db.raw('select id::text as id from audit_events where org_id = ?', [scimA.orgId]);
      const idsA = new Set((rows as { id: string }[]).map((r) => r.id));
      assert.ok(eventsB.every((e) => !idsA.has(e.id)));

      for (const query of [{ resourceId: annaId } as Record<string, string>, { resourceId: scimA.orgId }, { actor: 'hr-sync-a' }, { actor: 'alice' }, { to: '2020-01-02T00:00:00Z' }]) {
        const res = await list(adminB, query);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.events, [], JSON.stringify(query));
      }
      // A cursor issued to A's admin names A's listing; B cannot continue it.
      const cursorA = (await list(adminA, { count: '1' })).body.nextCursor;
      const res = await list(adminB, { cursor: cursorA });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'invalidCursor');
    });
  });

  describe('GET /admin/v1/audit (operators)', () => {
    it('lists every organisation’s events, newest first, and narrows to one by organisationId', async () => {
      const all = await everything(operator, { count: '500' }, '/admin/v1/audit');
      const total = Number((await t.testDb.db('audit_events').count({ n: '*' }).first())!.n);
      assert.equal(all.length, total);
      assert.deepEqual([...all].sort(newestFirst).map((e) => e.id), all.map((e) => e.id));
      const orgs = new Set(all.map((e) => e.organisationId));
      assert.ok(orgs.has(scimA.orgId) && orgs.has(scimB.orgId));

      const onlyB = await everything(operator, { organisationId: scimB.orgId, count: '2' }, '/admin/v1/audit');
      assert.deepEqual(onlyB.map((e) => e.id), all.filter((e) => e.organisationId === scimB.orgId).map((e) => e.id));
      const creations = await everything(operator, { action: 'organisation.create' }, '/admin/v1/audit');
      assert.deepEqual(new Set(creations.map((e) => e.organisationId)), new Set([scimA.orgId, scimB.orgId]));
      assert.ok(creations.every((e) => e.actor.role === 'operator' && e.resourceType === 'Organisation'));
      const fixtureOnly = await everything(operator, { to: '2020-01-02T00:00:00Z', actor: 'alice', count: '3' }, '/admin/v1/audit');
      assert.deepEqual(fixtureOnly.map((e) => e.id), fixture.filter((f) => f.actor === 'alice').sort(newestFirst).map((f) => f.id));
      const unknown = await list(operator, { organisationId: '00000000-0000-4000-8000-000000000000' }, '/admin/v1/audit');
      assert.deepEqual(unknown.body.events, []);
    });
  });

  describe('the table is append-only', () => {
    it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
      const db = t.testDb.db;
      const before = await db.raw('select count(*)::int as n, max(id)::text as last from audit_events');
      const { n, last } = before.rows[0];
      await assert.rejects(db.raw(`update audit_events set action = 'tampered' where id = ?`, [last]), /append-only/);
      await assert.rejects(db.raw('update audit_events set changes = null'), /append-only/);
      await assert.rejects(db.raw('delete from audit_events where id = ?', [last]), /append-only/);
      await assert.rejects(db.raw('delete from audit_events'), /append-only/);
      await assert.rejects(db.raw('truncate audit_events'), /append-only/);
      const after = await db.raw(`select count(*)::int as n, count(*) filter (where action = 'tampered')::int as tampered from audit_events`);
      assert.equal(after.rows[0].n, n);
      assert.equal(after.rows[0].tampered, 0);
    });
  });
});
