import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { patchOp, scimClient, USER_SCHEMA, IDM_USER, type ScimClient } from '../helpers/scim.ts';
import { startLocalReceiver, type LocalReceiver } from '../helpers/set-receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import { recordSecret } from '../helpers/secrets.ts';
import { EventPushWorker, type PushOptions } from '../../src/events/push-worker.ts';
import { createRepositories } from '../../src/store/repositories.ts';

const PROV = 'urn:ietf:params:scim:event:prov';
const silent = pino({ level: 'silent' });

describe('change events pushed to a receiver (SPEC §6.6, RFC 8935, RFC 9967)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let operator: ScimClient;
  let orgId: string;
  let group: string;
  let receiver: LocalReceiver;
  let receiverId: string;
  const clock = { now: new Date('2026-12-01T10:00:00Z') };

  const admin = async () => t.http().set('Authorization', `Bearer ${await t.operatorToken()}`);
  const worker = (options: Partial<PushOptions> = {}) =>
    new EventPushWorker(createRepositories(t.testDb.db), t.key, silent, { issuer: t.config.issuer, now: () => clock.now, random: () => 0.5, ...options });
  /** Delivers until the receiver has `count` distinct SETs (other test databases' transactions can hold the horizon back a moment). */
  const deliverUntil = async (count: number, w = worker()) => {
    await waitUntil(async () => {
      await w.drain();
      return receiver.reference.received.length >= count;
    }, `${count} events at the receiver`);
    await w.drain();
  };
  const eventsOf = (from: number) => receiver.reference.received.slice(from).map((e) => ({ uri: e.uri, events: Object.keys(e.events) }));

  before(async () => {
    t = await createTestApp();
    orgId = (await t.createOrg({ name: 'Händelseskolan', schoolForm: 'hogskola' })).id;
    scim = await scimClient(t, orgId, 'provisioner');
    operator = await scimClient(t, orgId, 'operator');
    group = await scim.groupId('studietider-och-utbildningar');
    receiver = await startLocalReceiver(t, 'portal');
    const res = await (await admin()).post('/admin/v1/receivers').send({ name: 'Mina tjänster', audience: 'portal', endpointUrl: receiver.url, payload: 'full' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    receiverId = res.body.id;
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });
  beforeEach(() => {
    receiver.answer = () => 'accept';
  });

  it('turns each kind of change into exactly its RFC 9967 events, signed for the receiver', async () => {
    const start = receiver.reference.received.length;
    const user = await scim.createUser('eva.event', { externalId: 'e-1' });
    assert.equal((await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Eva E' }))).status, 200);
    assert.equal((await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }))).status, 200);
    const current = (await scim.get(`/Users/${user.id}`)).body;
    assert.equal((await scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'eva.event', externalId: 'e-1', name: current.name, emails: current.emails, displayName: 'Eva E', active: true })).status, 200);
    assert.equal((await scim.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }))).status, 204);
    assert.equal((await scim.patch(`/Groups/${group}`, patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` }))).status, 204);
    // A change that changes nothing (RFC 7644 §3.5.2.1) is no event.
    assert.equal((await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Eva E' }))).status, 200);
    assert.equal((await operator.delete(`/Users/${user.id}`)).status, 204);
    await deliverUntil(start + 8);

    assert.deepEqual(eventsOf(start), [
      { uri: `/Users/${user.id}`, events: [`${PROV}:create:full`] },
      { uri: `/Users/${user.id}`, events: [`${PROV}:patch:full`] },
      { uri: `/Users/${user.id}`, events: [`${PROV}:patch:full`, `${PROV}:deactivate`] },
      { uri: `/Users/${user.id}`, events: [`${PROV}:patch:full`, `${PROV}:activate`] },
      // The first grant issues credentials in the same transaction as the membership.
      { uri: `/Users/${user.id}`, events: [`${PROV}:patch:full`] },
      { uri: `/Groups/${group}`, events: [`${PROV}:patch:full`] },
      { uri: `/Groups/${group}`, events: [`${PROV}:patch:full`] },
      { uri: `/Users/${user.id}`, events: [`${PROV}:delete`] },
    ]);
    const [created, renamed, , , credentials, added, removed] = receiver.reference.received.slice(start);
    const createData = created.events[`${PROV}:create:full`].data as Record<string, any>;
    assert.equal(createData.id, user.id);
    assert.equal(createData.userName, 'eva.event');
    assert.equal(createData.externalId, 'e-1');
    assert.deepEqual(renamed.events[`${PROV}:patch:full`].data, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Eva E' }] });
    assert.deepEqual((credentials.events[`${PROV}:patch:full`].data as any).Operations, [{ op: 'replace', path: `${IDM_USER}:credentialStatus`, value: 'pending' }]);
    assert.deepEqual((added.events[`${PROV}:patch:full`].data as any).Operations, [{ op: 'add', path: 'members', value: [{ value: user.id, $ref: `/Users/${user.id}` }] }]);
    assert.deepEqual((removed.events[`${PROV}:patch:full`].data as any).Operations, [{ op: 'remove', path: `members[value eq "${user.id}"]` }]);
    // One transaction, one txn: the credentials and the membership of the grant share it.
    assert.equal(credentials.txn, added.txn);
    assert.notEqual(added.txn, removed.txn);

    const post = receiver.posts.find((p) => p.claims.jti === created.jti)!;
    assert.equal(post.header.typ, 'secevent+jwt');
    assert.equal(post.header.alg, 'ES256');
    assert.equal(post.header.kid, t.key.kid);
    assert.equal(post.claims.iss, t.config.issuer);
    assert.equal(post.claims.aud, 'portal');
    assert.equal(post.claims.sub, undefined, 'RFC 9967 §2.1: sub_id, never sub');
    assert.deepEqual(post.claims.sub_id, { format: 'scim', uri: `/Users/${user.id}`, id: user.id, externalId: 'e-1' });
    assert.equal(typeof post.claims.iat, 'number');
    // No secret ever leaves in an event.
    assert.ok(!receiver.posts.some((p) => JSON.stringify(p.claims).includes('password')));
  });

  it('tells of credential status changes at sign-in: pending, active, locked (never a secret)', async () => {
    const start = receiver.reference.received.length;
    const user = await scim.createUser('kari.konto');
    assert.equal((await scim.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }))).status, 204);
    const otp = recordSecret((await t.testDb.db('outbox').where({ user_id: user.id, channel: 'email' }).orderBy('id', 'desc').first()).secret as string);
    const post = (path: string, body: Record<string, unknown>) => t.http().post(path).send(body);
    assert.equal((await post('/auth/password', { userName: 'kari.konto', oneTimePassword: otp, newPassword: 'Hemligt123abc' })).status, 204);
    for (let i = 0; i < 5; i++) assert.equal((await post('/auth/login', { userName: 'kari.konto', password: `Fel${i}lösenord1` })).status, 401);
    await deliverUntil(start + 5);
    const statuses = receiver.reference.received.slice(start)
      .filter((e) => e.uri === `/Users/${user.id}` && e.events[`${PROV}:patch:full`])
      .map((e) => (e.events[`${PROV}:patch:full`].data as any).Operations)
      .filter((ops: any[]) => ops.some((o) => o.path === `${IDM_USER}:credentialStatus`))
      .map((ops: any[]) => ops[0].value);
    assert.deepEqual(statuses, ['pending', 'active', 'locked']);
    assert.equal(receiver.reference.replica.users.get(user.id)![IDM_USER] && (receiver.reference.replica.users.get(user.id)![IDM_USER] as any).credentialStatus, 'locked');
  });

  it('shows the receiver in the list with its backlog, deliveries and no error', async () => {
    const res = await (await admin()).get('/admin/v1/receivers');
    assert.equal(res.status, 200);
    const row = res.body.find((r: any) => r.id === receiverId);
    assert.equal(row.backlog, 0);
    assert.ok(row.delivered >= 8);
    assert.equal(row.delivery, 'push');
    assert.equal(row.lastError, null);
    assert.equal(row.parked, 0);
  });

  it('retries a receiver that is down with growing delays, then delivers the backlog in order, each jti once', async () => {
    await receiver.down();
    let down = true;
    try {
      const start = receiver.reference.received.length;
      const w = worker({ retryBaseMs: 1000, retryCapMs: 8000 });
      const users = [];
      for (let i = 0; i < 5; i++) users.push(await scim.createUser(`backlog.${i}`));
      // A failed attempt (another database's open transaction can keep the new rows back a moment).
      await waitUntil(async () => (await w.deliverOnce()).failed, 'a failed delivery attempt');
      const listed = async () => (await (await admin()).get('/admin/v1/receivers')).body.find((r: any) => r.id === receiverId);
      let row = await listed();
      assert.match(row.lastError, /no answer/);
      assert.equal(row.backlog, 5);
      // equal jitter at random() = 0.5: three quarters of 1 s, then of 2 s, 4 s, 8 s, 8 s (capped).
      const delays = [];
      for (let attempt = 2; attempt <= 5; attempt++) {
        const due = new Date(row.nextAttemptAt).getTime();
        delays.push(due - clock.now.getTime());
        assert.equal((await w.deliverOnce()).claimed, false, 'nothing is tried before the retry is due');
        clock.now = new Date(due);
        assert.equal((await w.deliverOnce()).claimed, true);
        row = await listed();
      }
      assert.deepEqual(delays, [750, 1500, 3000, 6000]);
      assert.equal(new Date(row.nextAttemptAt).getTime() - clock.now.getTime(), 6000, 'capped');

      await receiver.up();
      down = false;
      clock.now = new Date(new Date(row.nextAttemptAt).getTime());
      await deliverUntil(start + 5, w);
      assert.deepEqual(receiver.reference.received.slice(start).map((e) => e.uri), users.map((u) => `/Users/${u.id}`));
      assert.equal(receiver.reference.duplicates, 0);
      row = await listed();
      assert.equal(row.backlog, 0);
      assert.equal(row.nextAttemptAt, null);
    } finally {
      // A failure here leaves the receiver up for the tests after it.
      if (down) await receiver.up();
    }
  });

  it('parks a SET the receiver refuses as invalid_request, says so, and goes on with the next', async () => {
    const start = receiver.reference.received.length;
    const refused = await scim.createUser('refused.one');
    receiver.answer = (claims) => (claims.sub_id.id === refused.id ? { status: 400, body: { err: 'invalid_request', description: 'no such field here' } } : 'accept');
    const next = await scim.createUser('after.refused');
    await deliverUntil(start + 1);
    assert.deepEqual(receiver.reference.received.slice(start).map((e) => e.uri), [`/Users/${next.id}`]);
    const row = (await (await admin()).get('/admin/v1/receivers')).body.find((r: any) => r.id === receiverId);
    assert.equal(row.parked, 1);
    assert.match(row.lastError, /invalid_request: no such field here/);
    assert.equal(row.backlog, 0);
  });

  it('keeps (and retries) every SET while the receiver refuses this transmitter', async () => {
    const start = receiver.reference.received.length;
    receiver.answer = () => ({ status: 400, body: { err: 'authentication_failed', description: 'who are you' } });
    const user = await scim.createUser('kept.back');
    const w = worker();
    await waitUntil(async () => (await w.deliverOnce()).claimed && receiver.posts.some((p) => p.claims.sub_id.id === user.id), 'an attempt');
    const row = (await (await admin()).get('/admin/v1/receivers')).body.find((r: any) => r.id === receiverId);
    assert.equal(row.backlog, 1);
    assert.equal(row.parked, 1, 'only the one refused earlier');
    receiver.answer = () => 'accept';
    clock.now = new Date(new Date(row.nextAttemptAt).getTime());
    await deliverUntil(start + 1, w);
    assert.equal(receiver.reference.received.at(-1)!.uri, `/Users/${user.id}`);
  });

  it('never has two workers on separate connections deliver at once, and delivers each SET once', async () => {
    const start = receiver.reference.received.length;
    const posted = receiver.posts.length;
    receiver.maxInFlight = 0;
    receiver.holdMs = 2;
    const created = [];
    for (let i = 0; i < 30; i++) created.push(await scim.createUser(`pair.${i}`));
    const { default: knex } = await import('knex');
    const second = knex({ client: 'pg', connection: t.testDb.url, pool: { min: 0, max: 2 } });
    try {
      const a = worker({ batchSize: 5, saveEvery: 1 });
      const b = new EventPushWorker(createRepositories(second), t.key, silent, { issuer: t.config.issuer, now: () => clock.now, batchSize: 5, saveEvery: 1 });
      await waitUntil(async () => {
        await Promise.all([a.drain(), b.drain()]);
        return receiver.reference.received.length >= start + 30;
      }, 'all 30 events');
    } finally {
      receiver.holdMs = 0;
      await second.destroy();
    }
    assert.equal(receiver.maxInFlight, 1);
    const jtis = receiver.posts.slice(posted).map((p) => p.claims.jti);
    assert.equal(new Set(jtis).size, jtis.length, 'no SET sent twice');
    assert.deepEqual(receiver.reference.received.slice(start).map((e) => e.uri), created.map((u) => `/Users/${u.id}`));
  });

  it('sends a notice receiver attribute names only, and only the event types it asked for', async () => {
    const notice = await startLocalReceiver(t, 'siem');
    try {
      const res = await (await admin()).post('/admin/v1/receivers').send({ name: 'SIEM', audience: 'siem', endpointUrl: notice.url, payload: 'notice', eventTypes: ['create', 'deactivate'], organisationIds: [orgId] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const user = await scim.createUser('notice.me');
      await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
      const w = worker();
      await waitUntil(async () => {
        await w.drain();
        return notice.posts.length >= 2;
      }, 'two notices');
      assert.deepEqual(notice.posts.map((p) => p.claims.events), [
        { [`${PROV}:create:notice`]: { attributes: ['id', 'active', 'emails', 'name', 'userName'] } },
        { [`${PROV}:deactivate`]: {} },
      ]);
      assert.equal(notice.posts[0].claims.aud, 'siem');
    } finally {
      await notice.close();
    }
  });
});
