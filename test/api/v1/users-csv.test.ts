import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { IDM_USER, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

const BOM = '\uFEFF';
const HEADER = 'userName;givenName;familyName;email;active;services;credentialStatus;created;lastModified\r\n';

/** Collects the body as bytes, so the BOM and line ends are seen exactly as sent. */
function bytes(res: NodeJS.ReadableStream, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('GET /api/v1/users.csv', () => {
  let t: TestApp;
  let scimA: ScimClient;
  let scimB: ScimClient;
  let adminA: string;
  let adminB: string;

  before(async () => {
    t = await createTestApp();
    const orgA = await t.createOrg({ name: 'Komvux Export', schoolForm: 'komvux', reportsViaFile: true });
    const orgB = await t.createOrg({ name: 'Grannskolan' });
    scimA = await scimClient(t, orgA.id, 'provisioner');
    scimB = await scimClient(t, orgB.id, 'provisioner');
    adminA = await t.token('admin', orgA.id, 'admin-a');
    adminB = await t.token('admin', orgB.id, 'admin-b');
  });
  after(() => t.close());

  const download = (token: string) =>
    t.http().get('/api/v1/users.csv').set('Authorization', `Bearer ${token}`).buffer(true).parse(bytes as never);

  const createUser = async (body: Record<string, unknown>) => {
    const res = await scimA.post('/Users', { schemas: [USER_SCHEMA], ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  it('writes the exact bytes: BOM, header, `;`, CRLF, RFC 4180 quoting, email choice, services, formula guard', async () => {
    const anna = await createUser({
      userName: 'anna.export',
      name: { givenName: 'Anna', familyName: 'Svensson; "Sven"\nII' },
      // work wins over primary
      emails: [{ value: 'anna@hem.se', type: 'home', primary: true }, { value: 'anna@jobb.se', type: 'work' }],
    });
    const bo = await createUser({
      userName: 'bo.export',
      name: { givenName: 'Bo', familyName: 'Öberg' },
      // no work address: primary wins over first
      emails: [{ value: 'bo@hem.se', type: 'home' }, { value: 'bo@primar.se', type: 'other', primary: true }],
      active: false,
    });
    const cia = await createUser({
      userName: 'cia.export',
      // neither work nor primary: the first
      emails: [{ value: 'cia@forsta.se', type: 'home' }, { value: 'cia@andra.se', type: 'other' }],
    });
    const dan = await createUser({
      userName: 'dan.export',
      name: { givenName: '=HYPERLINK("http://x.example")', familyName: '-1+2' },
    });
    const studietider = await scimA.groupId('studietider-och-utbildningar');
    const studerande = await scimA.groupId('studeranderapportering');
    for (const [group, members] of [[studietider, [anna, cia]], [studerande, [anna]]] as const) {
      const res = await scimA.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: members.map((value) => ({ value })) }));
      assert.equal(res.status, 204, JSON.stringify(res.body));
    }

    const res = await download(adminA);
    assert.equal(res.status, 200, String(res.body));
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(res.headers['content-disposition'], `attachment; filename="users-${scimA.orgId}.csv"`);
    assert.equal(res.headers['content-length'], undefined, 'streamed, not buffered');
    assert.equal(res.headers['cache-control'], 'no-store');

    // Timestamps and credential status as the SCIM API shows them, in creation order.
    const users = await Promise.all([anna, bo, cia, dan].map(async (id) => (await scimA.get(`/Users/${id}`)).body));
    users.sort((a, b) => (a.meta.created === b.meta.created ? (a.id < b.id ? -1 : 1) : a.meta.created < b.meta.created ? -1 : 1));
    const tail = (u: Record<string, any>) => `${u[IDM_USER].credentialStatus};${u.meta.created};${u.meta.lastModified}\r\n`;
    const line: Record<string, string> = {
      [anna]: 'anna.export;Anna;"Svensson; ""Sven""\nII";anna@jobb.se;true;Studeranderapportering, Studietider och utbildningar;',
      [bo]: 'bo.export;Bo;Öberg;bo@primar.se;false;;',
      [cia]: 'cia.export;;;cia@forsta.se;true;Studietider och utbildningar;',
      [dan]: `dan.export;"'=HYPERLINK(""http://x.example"")";'-1+2;;true;;`,
    };
    const expected = BOM + HEADER + users.map((u) => line[u.id] + tail(u)).join('');
    assert.equal(res.body.toString('utf8'), expected);
    assert.deepEqual(res.body, Buffer.from(expected, 'utf8'));
    assert.deepEqual([...res.body.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.match(users[0].meta.created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('lists only the token’s organisation', async () => {
    await scimB.createUser('bertil.granne');
    const a = (await download(adminA)).body.toString('utf8');
    const b = (await download(adminB)).body.toString('utf8');
    assert.ok(!a.includes('bertil.granne'));
    assert.ok(a.includes('anna.export'));
    assert.equal(b, BOM + HEADER + b.split('\r\n')[1] + '\r\n');
    assert.match(b.split('\r\n')[1], /^bertil\.granne;/);
  });

  it('records the export in the audit trail', async () => {
    const res = await t.http().get('/api/v1/audit').query({ action: 'users.export' }).set('Authorization', `Bearer ${adminA}`);
    assert.equal(res.status, 200);
    assert.ok(res.body.events.length >= 1);
    const [event] = res.body.events;
    assert.equal(event.organisationId, scimA.orgId);
    assert.deepEqual(event.actor, { subject: 'admin-a', role: 'admin' });
    assert.equal(event.resourceType, 'User');
    assert.equal(event.resourceId, null);
    assert.equal(event.changes, null);
    assert.match(event.requestId, /\S/);
  });

  it('is refused to provisioners (403), to operators without an organisation (403) and without a token (401)', async () => {
    const provisioner = await t.http().get('/api/v1/users.csv').set('Authorization', `Bearer ${scimA.token}`);
    assert.equal(provisioner.status, 403);
    assert.match(provisioner.headers['content-type'], /application\/scim\+json/);
    assert.equal(provisioner.body.status, '403');
    assert.equal((await download(await t.operatorToken())).status, 403);
    assert.equal((await t.http().get('/api/v1/users.csv')).status, 401);
    const operatorInOrg = await download(await t.token('operator', scimB.orgId));
    assert.equal(operatorInOrg.status, 200);
    assert.match(operatorInOrg.body.toString('utf8'), /bertil\.granne/);
  });

  describe('a large organisation', () => {
    const N = 3000;
    let orgId: string;
    let expectedOrder: { userName: string; i: number }[];

    before(async () => {
      orgId = (await t.createOrg({ name: 'Stora skolan', schoolForm: 'komvux', reportsViaFile: true })).id;
      const db = t.testDb.db;
      const group = async (code: string) => (await db('groups').where({ org_id: orgId, service_code: code }).first('id')).id as string;
      const [studietider, studerande] = [await group('studietider-och-utbildningar'), await group('studeranderapportering')];
      // Creation times in groups of ten per millisecond: five at the same instant, five apart by
      // microseconds, so page boundaries fall inside ties and below the millisecond.
      const base = Date.UTC(2021, 0, 1);
      const rows = Array.from({ length: N }, (_, i) => ({
        org_id: orgId,
        id: crypto.randomUUID(),
        user_name: `elev.${String(i).padStart(4, '0')}`,
        active: i % 7 !== 0,
        data: JSON.stringify({ name: { givenName: `Förnamn${i}`, familyName: `Efternamn${i}` }, emails: [{ value: `elev${i}@stora.se`, type: 'work' }] }),
        created_at: new Date(base + Math.floor(i / 10)).toISOString().replace('Z', `${String(i % 10 < 5 ? 0 : i % 10).padStart(3, '0')}Z`),
        modified_at: new Date(base + i),
      }));
      for (let start = 0; start < N; start += 1000) await db('users').insert(rows.slice(start, start + 1000));
      const memberships = rows.flatMap((r, i) => [
        ...(i % 3 === 0 ? [{ org_id: orgId, group_id: studietider, user_id: r.id, created_at: new Date() }] : []),
        ...(i % 5 === 0 ? [{ org_id: orgId, group_id: studerande, user_id: r.id, created_at: new Date() }] : []),
      ]);
      for (let start = 0; start < memberships.length; start += 1000) await db('memberships').insert(memberships.slice(start, start + 1000));
      expectedOrder = rows
        .map((r, i) => ({ userName: r.user_name, i, key: r.created_at, id: r.id }))
        .sort((a, b) => (a.key === b.key ? (a.id < b.id ? -1 : 1) : a.key < b.key ? -1 : 1));
    });

    it('exports 3,000 users as 3,001 lines, in creation order, one membership query per page of 1,000', async () => {
      const db = t.testDb.db;
      const sql: string[] = [];
      const onQuery = (q: Knex.Sql) => sql.push(q.sql);
      db.on('query', onQuery);
      let res: { status: number; body: Buffer };
      try {
        res = await download(await t.token('admin', orgId));
      } finally {
        db.removeListener('query', onQuery);
      }
      assert.equal(res.status, 200);
      const text = res.body.toString('utf8');
      assert.ok(text.startsWith(BOM + HEADER));
      assert.ok(text.endsWith('\r\n'));
      const lines = text.slice(BOM.length).split('\r\n').slice(0, -1);
      assert.equal(lines.length, N + 1);
      assert.ok(!text.replace(/\r\n/g, '').includes('\n'));

      const body = lines.slice(1).map((l) => l.split(';'));
      assert.deepEqual(body.map((cells) => cells[0]), expectedOrder.map((u) => u.userName));
      for (const [cells, { i }] of body.map((cells, k) => [cells, expectedOrder[k]] as const)) {
        const services = [...(i % 5 === 0 ? ['Studeranderapportering'] : []), ...(i % 3 === 0 ? ['Studietider och utbildningar'] : [])].join(', ');
        assert.deepEqual(cells.slice(1, 6), [`Förnamn${i}`, `Efternamn${i}`, `elev${i}@stora.se`, i % 7 !== 0 ? 'true' : 'false', services]);
        assert.equal(cells[8], new Date(Date.UTC(2021, 0, 1) + i).toISOString());
      }

      const membershipQueries = sql.filter((s) => /from "?memberships"?\b/.test(s));
      const userPages = sql.filter((s) => s.includes('created_key'));
      assert.equal(membershipQueries.length, 3, membershipQueries.join('\n'));
      assert.equal(userPages.length, 4, 'three full pages and one that finds the end');
    });
  });
});
