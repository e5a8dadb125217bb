import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, capturedLogs, type TestApp } from '../helpers/test-app.ts';
import { BULK_REQUEST, PATCH_OP, SEARCH_REQUEST, USER_SCHEMA, scimClient, type ScimClient } from '../helpers/scim.ts';
import { scanJsonText } from '../../src/http/json-text.ts';

/** `depth` arrays one inside the other, around `inner`. */
const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

const assertDepthRefusal = (res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }) => {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  assert.equal(res.body.scimType, 'invalidSyntax');
  assert.match(res.body.detail as string, /deeper than the limit of 32 levels/);
  assert.equal(res.headers['content-type'], 'application/scim+json');
};

describe('JSON bodies nest at most 32 levels deep (SPEC §5.4)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let orgId: string;
  let operator: string;
  before(async () => {
    t = await createTestApp();
    orgId = (await t.createOrg()).id;
    scim = await scimClient(t, orgId);
    operator = await t.operatorToken();
  });
  after(() => t.close());

  const login = (body: string) => t.http().post('/auth/login').set('Content-Type', 'application/json').send(body);
  /** A SCIM request with `text` as its body, as it is. */
  const scimText = (method: 'post' | 'put' | 'patch', path: string, text: string) =>
    t.http()[method](`/scim/v2${path}`).set('Authorization', `Bearer ${scim.token}`).set('Content-Type', 'application/scim+json').send(text);

  it('POST /auth/login without a token: 5,000 arrays deep around "a\\u0000b" is 400 invalidSyntax, not a 500 and no error logged', async () => {
    const logged = capturedLogs.length;
    const res = await login(nested(5000, '"a\\u0000b"'));
    assertDepthRefusal(res);
    const errors = capturedLogs.slice(logged).map((line) => JSON.parse(line)).filter((line) => line.level >= 50);
    assert.deepEqual(errors, []);
  });

  it('POST /auth/login: a body 32 deep is read (wrong credentials, 401); 33 deep is refused', async () => {
    // The object is level 1, so the array inside it adds 31 levels: 32 in all.
    const body = (depth: number) => `{"userName":"ingen.alls","password":"fel-lösenord-1","extra":${nested(depth - 1)}}`;
    const read = await login(body(32));
    assert.equal(read.status, 401, JSON.stringify(read.body));
    assertDepthRefusal(await login(body(33)));
  });

  it('POST /scim/v2/Users: 32 deep is created (meta is ignored); 33 deep is refused and nothing is stored', async () => {
    const user = (userName: string, depth: number) =>
      `{"schemas":["${USER_SCHEMA}"],"userName":"${userName}","meta":{"x":${nested(depth - 2)}}}`;
    const created = await scimText('post', '/Users', user('djup.32', 32));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assertDepthRefusal(await scimText('post', '/Users', user('djup.33', 33)));
    assert.deepEqual(await t.testDb.db('users').where({ org_id: orgId }).orderBy('user_name').pluck('user_name'), ['djup.32']);
  });

  it('every endpoint that reads JSON refuses 33 levels: SCIM (POST, PUT, PATCH, .search, Bulk), /auth and /admin/v1', async () => {
    const user = await scim.createUser('djup.mål');
    const tooDeep = `{"a":${nested(32)}}`;
    for (const [method, path] of [
      ['post', '/Users'],
      ['put', `/Users/${user.id}`],
      ['patch', `/Users/${user.id}`],
      ['patch', `/Groups/${await scim.groupId('studietider-och-utbildningar')}`],
      ['post', '/.search'],
      ['post', '/Users/.search'],
      ['post', '/Bulk'],
    ] as const) {
      assertDepthRefusal(await scimText(method, path, tooDeep));
    }
    for (const path of ['/auth/login', '/auth/password', '/auth/forgot']) {
      assertDepthRefusal(await t.http().post(path).set('Content-Type', 'application/json').send(tooDeep));
    }
    const asOperator = (method: 'post' | 'patch', path: string) =>
      t.http()[method](`/admin/v1${path}`).set('Authorization', `Bearer ${operator}`).set('Content-Type', 'application/json').send(tooDeep);
    for (const [method, path] of [
      ['post', '/organisations'],
      ['patch', `/organisations/${orgId}`],
      ['post', '/tokens'],
      ['post', `/organisations/${orgId}/administrators`],
      ['post', `/organisations/${orgId}/import`],
      ['post', '/purge'],
    ] as const) {
      assertDepthRefusal(await asOperator(method, path));
    }
    // Nothing changed: the user as it was, no new organisation.
    const after = await scim.get(`/Users/${user.id}`);
    assert.equal(after.body.meta.version, user.meta.version);
    assert.equal((await t.testDb.db('organisations').count({ n: '*' }).first())!.n, t.testDb.url ? '1' : 1);
  });

  it('the bound is on nesting, not on size: a wide body within it is read', async () => {
    const res = await scimText('post', '/Users/.search', JSON.stringify({ schemas: [SEARCH_REQUEST], filter: 'userName eq "x"', attributes: Array(500).fill('userName') }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it('U+0000 is still refused by name inside an allowed depth, also in a key, in PATCH and in Bulk', async () => {
    const user = await scim.createUser('nul.mål');
    const patch = await scim.patch(`/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'a\u0000b' }] });
    assert.equal(patch.status, 400);
    assert.match(patch.body.detail, /U\+0000/);
    const key = await scimText('post', '/Users', `{"schemas":["${USER_SCHEMA}"],"userName":"nul.nyckel","x\\u0000":1}`);
    assert.equal(key.status, 400);
    assert.match(key.body.detail, /U\+0000/);
    const bulk = await scim.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'n', data: { schemas: [USER_SCHEMA], userName: 'nul.bulk', title: [[['\u0000']]] } }],
    });
    assert.equal(bulk.status, 400);
    assert.match(bulk.body.detail, /U\+0000/);
    assert.equal((await scim.get(`/Users/${user.id}`)).body.title, undefined);
  });
});

describe('scanJsonText: one pass over the text, without parsing', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    assert.deepEqual(scanJsonText(nested(32)), { tooDeep: false, hasNul: false });
    assert.deepEqual(scanJsonText(nested(33)), { tooDeep: true, hasNul: false });
    assert.deepEqual(scanJsonText(`{"a":{"b":${nested(30)}}}`), { tooDeep: false, hasNul: false });
    assert.deepEqual(scanJsonText(`{"a":{"b":${nested(31)}}}`), { tooDeep: true, hasNul: false });
    assert.deepEqual(scanJsonText(JSON.stringify({ s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{' })), { tooDeep: false, hasNul: false });
    assert.deepEqual(scanJsonText(JSON.stringify({ s: `\\"${'['.repeat(40)}` })), { tooDeep: false, hasNul: false });
    assert.deepEqual(scanJsonText(`[${nested(20)},${nested(20)},${nested(31)}]`), { tooDeep: false, hasNul: false });
  });

  it('finds the escape \\u0000 in values and keys, and not an escaped backslash followed by u0000', () => {
    assert.equal(scanJsonText(JSON.stringify({ a: 'x\u0000' })).hasNul, true);
    assert.equal(scanJsonText(JSON.stringify({ 'k\u0000': 1 })).hasNul, true);
    assert.equal(scanJsonText(JSON.stringify({ a: 'x\\u0000' })).hasNul, false);
    assert.equal(scanJsonText(JSON.stringify({ a: 'x\\\u0000' })).hasNul, true);
  });
});
