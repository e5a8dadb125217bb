import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, SEARCH_REQUEST, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

/** SPEC §5.4: each bound is enforced with a 4xx whose detail names it, and a refusal changes nothing. */
describe('the bounds of SPEC §5.4', () => {
  let t: TestApp;
  let scim: ScimClient;

  before(async () => {
    t = await createTestApp();
    scim = await scimClient(t, (await t.createOrg({ name: 'Gränsskolan', schoolForm: 'hogskola' })).id);
  });
  after(() => t.close());

  const emails = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}@granser.se`, type: 'other' }));
  const refusedNaming = (res: { status: number; body: Record<string, any> }, bound: RegExp, scimType = 'invalidValue') => {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.scimType, scimType);
    assert.match(res.body.detail, bound);
  };
  const stored = async (id: string) => t.testDb.db('users').where({ id }).first();

  describe('values of one multi-valued User attribute: 100', () => {
    it('POST /Users takes 100 e-mails and refuses 101, or 101 of any multi-valued attribute, storing nothing', async () => {
      assert.equal((await scim.createUser('hundred@granser.se', { emails: emails(100) })).emails.length, 100);
      const bodies: Record<string, unknown>[] = [
        { emails: emails(101) },
        { emails: emails(20_000) },
        { phoneNumbers: Array.from({ length: 101 }, (_, i) => ({ value: `+46 70 000 ${i}` })) },
        { addresses: Array.from({ length: 101 }, (_, i) => ({ streetAddress: `Gatan ${i}` })) },
        { roles: Array.from({ length: 101 }, (_, i) => ({ value: `r${i}` })) },
      ];
      for (const [i, extra] of bodies.entries()) {
        const res = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: `too.many.${i}@granser.se`, ...extra });
        refusedNaming(res, /at most 100/);
        assert.match(res.body.detail, new RegExp(Object.keys(extra)[0]));
      }
      assert.equal(await t.testDb.db('users').where('user_name', 'like', 'too.many.%').first(), undefined);
    });

    it('PUT refuses 101 values and leaves the user as it was', async () => {
      const user = await scim.createUser('put.bound@granser.se');
      const res = await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'put.bound@granser.se', emails: emails(101) });
      refusedNaming(res, /emails.*at most 100/);
      assert.equal((await scim.get(`/Users/${user.id}`)).body.meta.version, user.meta.version);
    });

    it('PATCH may bring an attribute to 100 values, not beyond: the request of issue 10 is refused whole', async () => {
      const user = await scim.createUser('patch.bound@granser.se');
      const ok = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'add', path: 'emails', value: emails(99) }));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.emails.length, 100);
      // 1,000 operations each adding 25 new e-mails (about 650 KB): refused at the operation that
      // passes 100, with nothing of the earlier ones stored.
      const ops = Array.from({ length: 1000 }, (_, i) => ({ op: 'add', path: 'emails', value: Array.from({ length: 25 }, (_, j) => ({ value: `${i}.${j}@g.se` })) }));
      const res = await scim.patch(`/Users/${ok.body.id}`, patchOp(...ops));
      refusedNaming(res, /'emails' has 125 values; a multi-valued attribute may hold at most 100/);
      const now = await scim.get(`/Users/${user.id}`);
      assert.equal(now.body.meta.version, ok.body.meta.version);
      assert.equal(now.body.emails.length, 100);
    });

    it('holds after every operation of a PATCH, not only at its end', async () => {
      const user = await scim.createUser('between@granser.se');
      const res = await scim.patch(`/Users/${user.id}`, patchOp(
        { op: 'add', path: 'emails', value: emails(150, 'x') },
        { op: 'replace', path: 'emails', value: emails(1, 'y') },
      ));
      refusedNaming(res, /at most 100/);
      assert.equal((await stored(user.id)).version, 1);
    });

    it('Bulk runs each operation under the same bound', async () => {
      const res = await scim.post('/Bulk', {
        schemas: [BULK_REQUEST],
        Operations: [{ method: 'POST', path: '/Users', bulkId: 'b', data: { schemas: [USER_SCHEMA], userName: 'bulk.bound@granser.se', emails: emails(101) } }],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.Operations[0].status, '400');
      assert.match(res.body.Operations[0].response.detail, /at most 100/);
      assert.equal(await t.testDb.db('users').where({ user_name: 'bulk.bound@granser.se' }).first(), undefined);
    });
  });

  describe('one PATCH: 1,000 operations, 1,000 path-filter comparisons', () => {
    it('counts each attribute of a value without path as an operation', async () => {
      const user = await scim.createUser('pathless.ops@granser.se');
      const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`emails[value eq "k${i}@granser.se"].display`, 'x']));
      const res = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'add', value: keys(1001) }));
      refusedNaming(res, /at most 1000 operations/);
      assert.equal((await stored(user.id)).version, 1);
    });

    it('bounds the comparisons of all path filters together', async () => {
      const user = await scim.createUser('filters@granser.se', { emails: emails(3) });
      const filter = (i: number) => Array.from({ length: 50 }, (_, j) => `value eq "f${i}.${j}"`).join(' or ');
      const within = Array.from({ length: 20 }, (_, i) => ({ op: 'remove', path: `emails[${filter(i)}]` }));
      assert.equal((await scim.patch(`/Users/${user.id}`, patchOp(...within))).status, 200);
      const beyond = [...within, { op: 'remove', path: 'emails[value eq "one.more"]' }];
      refusedNaming(await scim.patch(`/Users/${user.id}`, patchOp(...beyond)), /at most 1000 comparisons/, 'invalidFilter');
    });
  });

  describe('member values in one Group PATCH: 10,000', () => {
    it('refuses 10,001 member values over the operations of one request, changing nothing', async () => {
      const group = await scim.groupId('studietider-och-utbildningar');
      const member = await scim.createUser('member.bound@granser.se');
      const ids = (n: number) => Array.from({ length: n }, () => ({ value: crypto.randomUUID() }));
      const before = (await scim.get(`/Groups/${group}?excludedAttributes=members`)).body.meta.version;
      const res = await scim.patch(`/Groups/${group}`, patchOp(
        { op: 'add', path: 'members', value: [{ value: member.id }] },
        { op: 'remove', path: 'members', value: ids(5000) },
        { op: 'remove', path: 'members', value: ids(5000) },
      ));
      refusedNaming(res, /at most 10000 member values/);
      assert.deepEqual(await t.testDb.db('memberships').where({ group_id: group }).pluck('user_id'), []);
      assert.equal((await scim.get(`/Groups/${group}?excludedAttributes=members`)).body.meta.version, before);
      // 10,000 are within the bound.
      const within = await scim.patch(`/Groups/${group}`, patchOp({ op: 'remove', path: 'members', value: ids(10_000) }));
      assert.equal(within.status, 204, JSON.stringify(within.body));
    });
  });

  describe('paging: startIndex 1 … 2,147,483,647, count 0 … 1,000', () => {
    // Issue 10 item 9: these reached PostgreSQL and came back as 400 "… (SQLSTATE 22003)".
    const noDatabaseDetail = (body: Record<string, unknown>) => {
      assert.doesNotMatch(JSON.stringify(body), /SQLSTATE|\b22\d\d\d\b|bigint|integer out of range|offset|relation|column/i);
    };

    it('refuses a startIndex above the bound on every listing, naming it and nothing of the database', async () => {
      const huge = ['99999999999999999999', '2147483648', '9223372036854775808'];
      for (const startIndex of huge) {
        for (const res of [
          await scim.get(`/Users?startIndex=${startIndex}`),
          await scim.get(`/Groups?startIndex=${startIndex}`),
          await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], startIndex: Number(startIndex) }),
          await scim.post('/Groups/.search', { schemas: [SEARCH_REQUEST], startIndex: Number(startIndex) }),
          await scim.post('/.search', { schemas: [SEARCH_REQUEST], startIndex: Number(startIndex) }),
        ]) {
          refusedNaming(res, /startIndex must be at most 2147483647/);
          noDatabaseDetail(res.body);
        }
      }
    });

    it('reads a startIndex below 1 as 1 and takes the largest one (RFC 7644 §3.4.2.4)', async () => {
      for (const startIndex of ['0', '-5', '-99999999999999999999']) {
        const res = await scim.get(`/Users?startIndex=${startIndex}&count=1`);
        assert.equal(res.status, 200);
        assert.equal(res.body.startIndex, 1);
      }
      const last = await scim.get('/Users?startIndex=2147483647&count=1000');
      assert.equal(last.status, 200);
      assert.deepEqual(last.body.Resources, []);
    });

    it('caps a huge count and reads a negative one as 0 with index paging; refuses it with cursors', async () => {
      const capped = await scim.get('/Users?count=99999999999999999999&attributes=userName');
      assert.equal(capped.status, 200);
      assert.ok(capped.body.itemsPerPage <= 1000);
      assert.equal((await scim.get('/Users?count=-99999999999999999999')).body.itemsPerPage, 0);
      for (const count of ['99999999999999999999', '-1', '1001']) {
        const res = await scim.get(`/Users?cursor=&count=${count}`);
        refusedNaming(res, /count must be between 0 and 1000/, 'invalidCount');
        noDatabaseDetail(res.body);
      }
    });

    it('refuses paging values that are not whole numbers', async () => {
      for (const query of ['count=1.5', 'count=1e3', 'count=0x10', 'count=', 'startIndex=2.5', 'startIndex=1e3', 'startIndex=Infinity', 'count=NaN']) {
        const res = await scim.get(`/Users?${query}`);
        if (query === 'count=') {
          assert.equal(res.status, 200, 'an empty value is the default');
          continue;
        }
        refusedNaming(res, /must be an integer/);
      }
      const body = await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], count: '5 ' });
      assert.equal(body.status, 200, 'a number in a string, as some clients send it');
      refusedNaming(await scim.post('/Users/.search', { schemas: [SEARCH_REQUEST], count: 2.5 }), /count must be an integer/);
    });

    it('refuses a cursor whose position is not one the server wrote, without a database detail', async () => {
      const first = await scim.get('/Users?cursor=&count=1');
      const real = JSON.parse(Buffer.from(first.body.nextCursor, 'base64url').toString('utf8'));
      const forged = (change: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...real, ...change })).toString('base64url');
      for (const change of [{ i: 'not-a-uuid' }, { i: 99 }, { v: { $gt: 1 } }, { v: [1, 2] }, { t: 'now' }]) {
        const res = await scim.get(`/Users?cursor=${forged(change)}&count=1`);
        refusedNaming(res, /cursor/, 'invalidCursor');
        noDatabaseDetail(res.body);
      }
    });

    it('refuses a bad audit count with invalidCount, never a database error', async () => {
      const admin = await scimClient(t, scim.orgId, 'admin');
      for (const count of ['-1', '0', '501', '99999999999999999999', '1.5', '1e2', 'x']) {
        const res = await t.http().get(`/api/v1/audit?count=${count}`).set('Authorization', `Bearer ${admin.token}`);
        assert.equal(res.status, 400, count);
        assert.equal(res.body.scimType, 'invalidCount');
        assert.match(res.body.detail, /count must be a whole number from 1 to 500/);
        noDatabaseDetail(res.body);
      }
    });
  });
});
