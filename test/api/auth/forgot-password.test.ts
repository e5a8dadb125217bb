import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { IDM_USER, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';
import { countingHasher } from '../../helpers/counting-hasher.ts';
import { recordSecret } from '../../helpers/secrets.ts';

/**
 * SPEC §6.2 and §3.4: POST /auth/forgot always answers the same 202 at the same cost, and e-mails
 * a new one-time password only to an active user who holds a service and has an address, at most
 * once per user per 15 minutes.
 */
describe('POST /auth/forgot', () => {
  const counted = countingHasher();
  let t: TestApp;
  let admin: ScimClient;
  let group: string;
  let accepted: unknown;

  const forgot = async (userName: string) => {
    const res = await t.http().post('/auth/forgot').set('Content-Type', 'application/json').send(JSON.stringify({ userName }));
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, accepted);
    return res;
  };
  const emails = (userId: string) => t.testDb.db('outbox').where({ user_id: userId, channel: 'email' }).orderBy('id');
  const stored = (userId: string) => t.testDb.db('users').where({ id: userId }).first();
  const grant = async (userId: string) =>
    assert.equal((await admin.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: userId }] }))).status, 204);

  before(async () => {
    t = await createTestApp({ authRateLimitPerMinute: 0 }, { hasher: counted.hasher });
    admin = await scimClient(t, (await t.createOrg({ name: 'Glömska skolan', schoolForm: 'hogskola' })).id, 'admin');
    group = await admin.groupId('studietider-och-utbildningar');
    accepted = (await t.http().post('/auth/forgot').send({ userName: 'finns.inte' })).body;
  });
  after(() => t.close());

  it('sends a user at most one new one-time password per 15 minutes, and a later call does not void it', async () => {
    const user = await admin.createUser('glomsk');
    await grant(user.id);
    const start = new Date();
    t.clock.now = start;
    try {
      const before = (await emails(user.id)).length;
      await forgot('glomsk');
      const sent = await emails(user.id);
      assert.equal(sent.length, before + 1);
      const otp = recordSecret(sent.at(-1).secret);

      for (const minutes of [0, 5, 14]) {
        t.clock.now = new Date(start.getTime() + minutes * 60_000);
        await forgot('GLOMSK');
      }
      assert.equal((await emails(user.id)).length, before + 1, 'nothing more within 15 minutes');
      const login = await t.http().post('/auth/login').send({ userName: 'glomsk', password: otp });
      assert.equal(login.status, 200, 'the one-time password sent first still works');
      recordSecret(login.body.token);

      t.clock.now = new Date(start.getTime() + 15 * 60_000);
      await forgot('glomsk');
      assert.equal((await emails(user.id)).length, before + 2, 'again after 15 minutes');
    } finally {
      t.clock.now = new Date();
    }
  });

  it('an order by the admin is not held back by the route’s 15 minutes', async () => {
    const user = await admin.createUser('bestalld');
    await grant(user.id);
    await forgot('bestalld');
    const before = (await emails(user.id)).length;
    const ordered = await t.http().post(`/api/v1/users/${user.id}/one-time-password`).set('Authorization', `Bearer ${admin.token}`);
    assert.equal(ordered.status, 202);
    assert.equal((await emails(user.id)).length, before + 1);
  });

  it('sends nothing to a user who holds no service, and issues no credentials', async () => {
    const user = await admin.createUser('utan.tjanst');
    await forgot('utan.tjanst');
    assert.equal((await t.testDb.db('outbox').where({ user_id: user.id })).length, 0);
    const row = await stored(user.id);
    assert.equal(row.otp_hash, null);
    assert.equal((await admin.get(`/Users/${user.id}`)).body[IDM_USER].credentialStatus, 'none');
  });

  it('sends nothing to an inactive user, nor to a user of an inactive organisation', async () => {
    const inactive = await admin.createUser('inaktiv.glomsk');
    await grant(inactive.id);
    await admin.patch(`/Users/${inactive.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
    const otherAdmin = await scimClient(t, (await t.createOrg({ name: 'Stängda skolan', schoolForm: 'hogskola' })).id, 'admin');
    const closedUser = await otherAdmin.createUser('stangd.glomsk');
    const otherGroup = await otherAdmin.groupId('studietider-och-utbildningar');
    await otherAdmin.patch(`/Groups/${otherGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: closedUser.id }] }));
    await t.http().patch(`/admin/v1/organisations/${otherAdmin.orgId}`).set('Authorization', `Bearer ${await t.operatorToken()}`).send({ active: false });
    const before = [(await emails(inactive.id)).length, (await emails(closedUser.id)).length];
    await forgot('inaktiv.glomsk');
    await forgot('stangd.glomsk');
    assert.deepEqual([(await emails(inactive.id)).length, (await emails(closedUser.id)).length], before);
  });

  it('costs one hash at one-time-password cost whether or not anything is sent', async () => {
    const user = await admin.createUser('kostnad');
    await grant(user.id);
    await admin.createUser('kostnad.utan.tjanst');
    counted.take();
    for (const userName of ['kostnad', 'kostnad', 'finns.inte', 'kostnad.utan.tjanst']) {
      await forgot(userName);
      assert.deepEqual(counted.take(), ['hash:otp'], userName);
    }
    assert.equal((await emails(user.id)).length, 2, 'the first grant’s e-mail and one from the route');
  });
});
