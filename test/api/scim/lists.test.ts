import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, IDM_USER, SEARCH_REQUEST, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

describe('GET /Users: filtering, sorting and paging in the database', () => {
  let t: TestApp;
  let scim: ScimClient;
  let other: ScimClient;
  const names = ['adam', 'bertil', 'cesar', 'david', 'erik', 'filip', 'gustav'];
  const ids: Record<string, string> = {};

  before(async () => {
    t = await createTestApp();
    scim = await scimClient(t, (await t.createOrg({ name: 'Listskolan', schoolForm: 'komvux', reportsViaFile: true })).id);
    other = await scimClient(t, (await t.createOrg({ name: 'Andra skolan' })).id);
    for (const [i, name] of names.entries()) {
      const user = await scim.createUser(`${name}@lista.se`, {
        name: { givenName: name.toUpperCase(), familyName: i % 2 ? `Ö${name}` : `A${name}` },
        emails: [{ value: `${name}@lista.se`, type: 'work' }, { value: `${name}@hemma.se`, type: 'home' }],
        ...(i === 3 ? { title: 'Rektor' } : {}),
      });
      ids[name] = user.id;
    }
    await other.createUser('adam@annan.se');
    const group = await scim.groupId('studietider-och-utbildningar');
    await scim.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: ids.cesar }, { value: ids.erik }] }));
  });
  after(() => t.close());

  const list = (query: string) => scim.get(`/Users?${query}`);
  const idsOf = (body: { Resources: { id: string }[] }) => body.Resources.map((r) => r.id);

  it('returns a ListResponse of the organisation’s users only', async () => {
    const res = await list('');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    assert.equal(res.body.totalResults, names.length);
    assert.equal(res.body.startIndex, 1);
    assert.equal(res.body.itemsPerPage, names.length);
    assert.deepEqual(idsOf(res.body), names.map((n) => ids[n]), 'creation order by default');
  });

  it('filters by userName case-insensitively, and by externalId, emails value paths, the extension and dates', async () => {
    const f = async (filter: string) => idsOf((await list(`filter=${encodeURIComponent(filter)}`)).body);
    assert.deepEqual(await f('userName eq "ADAM@lista.se"'), [ids.adam]);
    assert.deepEqual(await f('emails[type eq "home" and value sw "bertil"]'), [ids.bertil]);
    assert.deepEqual(await f('title pr'), [ids.david]);
    assert.deepEqual(await f(`${IDM_USER}:services eq "studietider-och-utbildningar"`), [ids.cesar, ids.erik]);
    assert.deepEqual(await f('name.familyName sw "Ö" and not (userName co "bertil")'), [ids.david, ids.filip]);
    assert.deepEqual(await f('meta.created gt "2000-01-01T00:00:00Z"'), names.map((n) => ids[n]));
    assert.deepEqual(await f('meta.created lt "2000-01-01T00:00:00Z"'), []);
    assert.deepEqual(await f('userName eq "adam@annan.se"'), [], 'another organisation’s user never matches');
  });

  it('refuses an unknown attribute or bad syntax with 400 invalidFilter', async () => {
    for (const filter of ['shoeSize eq 44', 'userName eq', 'userName xx "a"', '((userName eq "a")', 'password eq "x"']) {
      const res = await list(`filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 400, filter);
      assert.equal(res.body.scimType, 'invalidFilter', filter);
    }
  });

  it('sorts by an attribute in either order', async () => {
    const asc = await list('sortBy=name.familyName');
    assert.deepEqual(idsOf(asc.body), ['adam', 'cesar', 'erik', 'gustav', 'bertil', 'david', 'filip'].map((n) => ids[n]));
    const desc = await list('sortBy=name.familyName&sortOrder=descending');
    assert.deepEqual(idsOf(desc.body), ['filip', 'david', 'bertil', 'gustav', 'erik', 'cesar', 'adam'].map((n) => ids[n]));
    const bad = await list('sortBy=nothing');
    assert.equal(bad.status, 400);
    const badOrder = await list('sortBy=userName&sortOrder=upwards');
    assert.equal(badOrder.status, 400);
  });

  it('pages by startIndex and count (RFC 7644 §3.4.2.4)', async () => {
    const page = await list('startIndex=3&count=2');
    assert.equal(page.body.totalResults, names.length);
    assert.equal(page.body.startIndex, 3);
    assert.equal(page.body.itemsPerPage, 2);
    assert.deepEqual(idsOf(page.body), [ids.cesar, ids.david]);
    const zero = await list('count=0');
    assert.equal(zero.body.totalResults, names.length);
    assert.deepEqual(zero.body.Resources, []);
    const negative = await list('count=-5&startIndex=-1');
    assert.equal(negative.status, 200);
    assert.equal(negative.body.startIndex, 1);
    assert.deepEqual(negative.body.Resources, []);
    const beyond = await list('startIndex=100');
    assert.deepEqual(beyond.body.Resources, []);
    const notNumber = await list('count=many');
    assert.equal(notNumber.status, 400);
  });

  it('follows cursors to the end without gaps or repeats (RFC 9865), sorted or not', async () => {
    for (const sort of ['', '&sortBy=name.familyName&sortOrder=descending', '&sortBy=title']) {
      const seen: string[] = [];
      let cursor = '';
      for (let i = 0; i < 10; i++) {
        const res = await list(`cursor=${encodeURIComponent(cursor)}&count=2${sort}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.totalResults, names.length);
        assert.equal(res.body.startIndex, undefined);
        seen.push(...idsOf(res.body));
        if (!res.body.nextCursor) break;
        cursor = res.body.nextCursor;
      }
      assert.equal(seen.length, names.length, sort);
      assert.equal(new Set(seen).size, names.length, sort);
      const whole = idsOf((await list(`count=100${sort}`)).body);
      assert.deepEqual(seen, whole, `cursor order equals index order for "${sort}"`);
    }
  });

  it('keeps cursor positions at full precision (timestamps with microseconds)', async () => {
    const org = await t.createOrg({ name: 'Mikrosekundskolan' });
    const client = await scimClient(t, org.id);
    const rows = Array.from({ length: 5 }, (_, i) => ({ org_id: org.id, id: crypto.randomUUID(), user_name: `micro-${i}@skola.se`, active: true, data: '{}' }));
    for (const [i, row] of rows.entries()) {
      await t.testDb.db.raw(`insert into users (org_id, id, user_name, active, data, created_at, modified_at) values (?, ?, ?, true, '{}', ?::timestamptz, now())`, [row.org_id, row.id, row.user_name, `2026-01-01T00:00:00.000${i + 1}00Z`]);
    }
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const res = await client.get(`/Users?cursor=${encodeURIComponent(cursor)}&count=2`);
      seen.push(...res.body.Resources.map((r: { id: string }) => r.id));
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor;
    }
    assert.deepEqual(seen, rows.map((r) => r.id));
  });

  it('refuses bad cursors and counts with the RFC 9865 errors', async () => {
    const first = await list('cursor=&count=2');
    const cursor = first.body.nextCursor;
    const garbage = await list('cursor=not-a-cursor');
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.scimType, 'invalidCursor');
    const otherQuery = await list(`cursor=${cursor}&sortBy=userName`);
    assert.equal(otherQuery.body.scimType, 'invalidCursor');
    const tooMany = await list('cursor=&count=100000');
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.scimType, 'invalidCount');
    const both = await list(`cursor=${cursor}&startIndex=2`);
    assert.equal(both.status, 400);
    t.clock.now = new Date(Date.now() + 2 * 3600 * 1000);
    try {
      const expired = await t.http().get(`/scim/v2/Users?cursor=${cursor}`).set('Authorization', `Bearer ${await t.token('provisioner', scim.orgId)}`);
      assert.equal(expired.status, 400);
      assert.equal(expired.body.scimType, 'expiredCursor');
    } finally {
      t.clock.now = new Date();
    }
  });

  it('answers POST /Users/.search like GET, with parameters in the body', async () => {
    const res = await scim.post('/Users/.search', {
      schemas: [SEARCH_REQUEST],
      filter: 'name.givenName eq "erik"',
      attributes: ['userName'],
      startIndex: 1,
      count: 10,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.totalResults, 1);
    assert.deepEqual(Object.keys(res.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
    const noSchema = await scim.post('/Users/.search', { filter: 'userName pr' });
    assert.equal(noSchema.status, 400);
  });

  it('caps count at maxResults (1000) for index paging', async () => {
    const rows = Array.from({ length: 1001 }, (_, i) => ({ id: crypto.randomUUID(), name: `bulk-${i}` }));
    const now = new Date();
    await t.testDb.db('users').insert(rows.map((r) => ({ org_id: other.orgId, id: r.id, user_name: r.name, active: true, data: '{}', created_at: now, modified_at: now })));
    const res = await other.get('/Users?count=5000&attributes=userName');
    assert.equal(res.status, 200);
    assert.equal(res.body.totalResults, 1002);
    assert.equal(res.body.itemsPerPage, 1000);
    assert.equal(res.body.Resources.length, 1000);
  });
});

describe('GET /Users: totalResults of the whole organisation (a kept count, issue 11)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let operator: ScimClient;
  let other: ScimClient;

  before(async () => {
    t = await createTestApp();
    const org = await t.createOrg({ name: 'Räkneskolan' });
    scim = await scimClient(t, org.id);
    operator = await scimClient(t, org.id, 'operator');
    other = await scimClient(t, (await t.createOrg({ name: 'Grannskolan' })).id);
  });
  after(() => t.close());

  /** totalResults of an unfiltered listing by index and by cursor, and of a filter that matches everyone. */
  const totals = async (client: ScimClient) => {
    const index = await client.get('/Users?count=1');
    const cursor = await client.get('/Users?cursor=&count=1');
    const filtered = await client.get(`/Users?count=1&filter=${encodeURIComponent('userName pr')}`);
    for (const res of [index, cursor, filtered]) assert.equal(res.status, 200);
    return [index.body.totalResults, cursor.body.totalResults, filtered.body.totalResults];
  };

  it('follows creations by POST and Bulk, clashes and deletions, and counts each organisation apart', async () => {
    assert.deepEqual(await totals(scim), [0, 0, 0]);
    const first = await scim.createUser('ett@rakna.se');
    await scim.createUser('tva@rakna.se');
    await other.createUser('granne@rakna.se');
    const clash = await scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ETT@rakna.se' });
    assert.equal(clash.status, 409);
    const bulk = await scim.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [...['tre', 'fyra', 'fem', 'tva'].map((name, i) => ({
        method: 'POST', path: '/Users', bulkId: `b${i}`, data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${name}@rakna.se` },
      }))],
    });
    assert.equal(bulk.status, 200);
    assert.deepEqual(bulk.body.Operations.map((o: { status: string }) => o.status), ['201', '201', '201', '409']);
    assert.deepEqual(await totals(scim), [5, 5, 5]);
    assert.deepEqual(await totals(other), [1, 1, 1]);
    assert.equal((await operator.delete(`/Users/${first.id}`)).status, 204);
    assert.deepEqual(await totals(scim), [4, 4, 4]);
    assert.deepEqual(await totals(other), [1, 1, 1]);
  });
});
