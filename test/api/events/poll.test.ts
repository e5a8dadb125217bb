import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { scimClient, type ScimClient } from '../../helpers/scim.ts';
import { waitUntil } from '../../helpers/wait.ts';

const PROV = 'urn:ietf:params:scim:event:prov';

/** A SCIM error body (RFC 7644 §3.12) with this status and scimType. */
function assertScimError(res: { status: number; body: Record<string, unknown> }, status: number, scimType: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.status, String(status));
  assert.equal(res.body.scimType, scimType);
  assert.equal(typeof res.body.detail, 'string');
}

describe('POST /events/v1/poll — RFC 8936 poll delivery (SPEC §6.6)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let receiverId: string;
  let receiverToken: string;

  const admin = async () => t.http().set('Authorization', `Bearer ${await t.operatorToken()}`);
  const poll = (body: Record<string, unknown>, token = receiverToken) =>
    t.http().post('/events/v1/poll').set('Authorization', `Bearer ${token}`).send(body);
  /** Polls (returning at once) until `count` SETs are outstanding; another database's open transaction can hold them back a moment. */
  const pollFor = async (count: number) => {
    let body: { sets: Record<string, string>; moreAvailable: boolean } = { sets: {}, moreAvailable: false };
    await waitUntil(async () => {
      const res = await poll({ returnImmediately: true, maxEvents: 100 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      body = res.body;
      return Object.keys(body.sets).length >= count;
    }, `${count} polled events`, 120_000);
    return body;
  };

  before(async () => {
    t = await createTestApp({ eventPollWaitSeconds: 1 });
    const orgId = (await t.createOrg({ name: 'Pollskolan', schoolForm: 'hogskola' })).id;
    scim = await scimClient(t, orgId);
    const res = await (await admin()).post('/admin/v1/receivers').send({ name: 'Skolans katalog', audience: 'katalog', endpointUrl: null, payload: 'full' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    receiverId = res.body.id;
    const issued = await (await admin()).post('/admin/v1/tokens').send({ role: 'receiver', receiverId, subject: 'katalog', ttl: '1h' });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    receiverToken = issued.body.token;
  });
  after(() => t.close());

  it('answers an empty stream at once with returnImmediately', async () => {
    const res = await poll({ returnImmediately: true });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { sets: {}, moreAvailable: false });
  });

  it('hands out signed SETs keyed by jti, again until acknowledged, and never after', async () => {
    const a = await scim.createUser('poll.a');
    const b = await scim.createUser('poll.b');
    const first = await pollFor(2);
    const jtis = Object.keys(first.sets);
    assert.equal(jtis.length, 2);
    const jwks = createLocalJWKSet((await t.http().get('/.well-known/jwks.json')).body);
    const subjects = [];
    for (const jti of jtis) {
      const { payload, protectedHeader } = await jwtVerify(first.sets[jti], jwks, { issuer: t.config.issuer, audience: 'katalog', typ: 'secevent+jwt' });
      assert.equal(payload.jti, jti);
      assert.equal(protectedHeader.kid, t.key.kid);
      assert.ok((payload.events as Record<string, unknown>)[`${PROV}:create:full`]);
      subjects.push((payload.sub_id as { id: string }).id);
    }
    assert.deepEqual(subjects, [a.id, b.id]);

    // Not acknowledged: sent again, the same jti.
    assert.deepEqual(Object.keys((await pollFor(2)).sets), jtis);
    // The second acknowledged before the first: the first is still outstanding.
    const partly = await poll({ ack: [jtis[1]], returnImmediately: true });
    assert.deepEqual(Object.keys(partly.body.sets), [jtis[0]]);
    const none = await poll({ ack: [jtis[0]], returnImmediately: true });
    assert.deepEqual(none.body, { sets: {}, moreAvailable: false });
    assert.deepEqual((await poll({ returnImmediately: true })).body.sets, {});
    const row = (await (await admin()).get('/admin/v1/receivers')).body.find((r: any) => r.id === receiverId);
    assert.equal(row.backlog, 0);
    assert.equal(row.delivered, 2);
    assert.equal(row.delivery, 'poll');
  });

  it('records setErrs as the receiver\'s errors and does not send those SETs again', async () => {
    await scim.createUser('poll.c');
    const { sets } = await pollFor(1);
    const [jti] = Object.keys(sets);
    const res = await poll({ setErrs: { [jti]: { err: 'invalid_request', description: 'cannot map this user' } }, returnImmediately: true });
    assert.deepEqual(res.body, { sets: {}, moreAvailable: false });
    const row = (await (await admin()).get('/admin/v1/receivers')).body.find((r: any) => r.id === receiverId);
    assert.equal(row.parked, 1);
    assert.match(row.lastError, /invalid_request: cannot map this user/);
  });

  it('says moreAvailable when maxEvents holds back some, and maxEvents 0 only acknowledges', async () => {
    for (const name of ['more.1', 'more.2', 'more.3']) await scim.createUser(name);
    await pollFor(3);
    const one = await poll({ maxEvents: 1, returnImmediately: true });
    assert.equal(Object.keys(one.body.sets).length, 1);
    assert.equal(one.body.moreAvailable, true);
    const all = await poll({ maxEvents: 3, returnImmediately: true });
    const ackOnly = await poll({ ack: Object.keys(all.body.sets), maxEvents: 0 });
    assert.deepEqual(ackOnly.body, { sets: {}, moreAvailable: false });
    assert.deepEqual((await poll({ returnImmediately: true })).body.sets, {});
  });

  it('waits (bounded) for an event when returnImmediately is false', async () => {
    const waiting = poll({ maxEvents: 10 });
    const user = await scim.createUser('long.poll');
    const res = await waiting;
    assert.equal(res.status, 200);
    // Either this poll caught it or it ended empty at its bound; then the next one has it.
    const sets = Object.keys(res.body.sets).length ? res.body.sets : (await pollFor(1)).sets;
    const claims = JSON.parse(Buffer.from(String(Object.values(sets)[0]).split('.')[1], 'base64url').toString());
    assert.equal(claims.sub_id.id, user.id);
  });

  it('refuses malformed requests with a SCIM error and other roles with 403', async () => {
    assertScimError(await poll({ maxEvents: -1 }), 400, 'invalidValue');
    assertScimError(await poll({ maxEvents: 5000 }), 400, 'invalidValue');
    assertScimError(await poll({ ack: 'x' }), 400, 'invalidValue');
    assertScimError(await poll({ returnImmediately: 'yes' }), 400, 'invalidValue');
    assertScimError(await poll({ setErrs: { x: 'bad' } }), 400, 'invalidValue');
    assert.equal((await poll({}, await t.operatorToken())).status, 403);
    // A receiver token opens nothing else.
    assert.equal((await t.http().get('/scim/v2/Users').set('Authorization', `Bearer ${receiverToken}`)).status, 403);
    assert.equal((await t.http().get('/admin/v1/receivers').set('Authorization', `Bearer ${receiverToken}`)).status, 403);
    assert.equal((await t.http().post('/events/v1/poll').send({})).status, 401);
  });
});
