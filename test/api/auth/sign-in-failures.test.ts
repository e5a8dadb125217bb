import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { IDM_USER, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';
import { countingHasher } from '../../helpers/counting-hasher.ts';
import { recordSecret } from '../../helpers/secrets.ts';
import { generateOneTimePassword } from '../../../src/domain/one-time-password.ts';

const PASSWORD = recordSecret('Rattlosen123');
/** Not of the form of a one-time password (it has a hyphen), so only the password is checked. */
const WRONG = recordSecret('Fel-losen-123');

/**
 * SPEC §6.2: every failed sign-in reads the same and costs the same, whatever the reason. The cost
 * is checked by structure, not by the clock: the app is given a hasher that records each slow hash
 * and verification, and at which scrypt cost.
 */
describe('failed sign-ins read the same and cost the same (SPEC §6.2)', () => {
  const counted = countingHasher();
  let t: TestApp;
  let admin: ScimClient;
  let other: ScimClient;
  let refused: { status: number; body: unknown; challenge: string | undefined };

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    t.http().post(path).set('Content-Type', 'application/json').set(headers).send(JSON.stringify(body));
  const otpOf = async (userId: string) =>
    recordSecret((await t.testDb.db('outbox').where({ user_id: userId, channel: 'email' }).orderBy('id', 'desc').first()).secret as string);
  const grant = async (client: ScimClient, userId: string) => {
    const group = await client.groupId('studietider-och-utbildningar');
    const res = await client.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: userId }] }));
    assert.equal(res.status, 204);
  };
  /** A user with a service and a password of their own. */
  const userWithPassword = async (client: ScimClient, userName: string) => {
    const user = await client.createUser(userName);
    await grant(client, user.id);
    const set = await post('/auth/password', { userName, oneTimePassword: await otpOf(user.id), newPassword: PASSWORD });
    assert.equal(set.status, 204);
    return user;
  };

  before(async () => {
    // Every request here comes from one address; the per-address limit has its own tests.
    t = await createTestApp({ authRateLimitPerMinute: 0 }, { hasher: counted.hasher });
    admin = await scimClient(t, (await t.createOrg({ name: 'Likadana skolan', schoolForm: 'hogskola' })).id, 'admin');
    other = await scimClient(t, (await t.createOrg({ name: 'Nedlagda skolan', schoolForm: 'hogskola' })).id, 'admin');

    await userWithPassword(admin, 'med.losenord');
    await admin.createUser('utan.behorighet');
    await grant(admin, (await admin.createUser('vantar.engang')).id);
    const inactive = await userWithPassword(admin, 'inaktiv');
    assert.equal((await admin.patch(`/Users/${inactive.id}`, patchOp({ op: 'replace', path: 'active', value: false }))).status, 200);
    await userWithPassword(other, 'i.nedlagd');
    const closed = await t.http().patch(`/admin/v1/organisations/${other.orgId}`).set('Authorization', `Bearer ${await t.operatorToken()}`).send({ active: false });
    assert.equal(closed.status, 200);

    const unknown = await post('/auth/login', { userName: 'finns.inte', password: WRONG });
    refused = { status: unknown.status, body: unknown.body, challenge: unknown.headers['www-authenticate'] };
    assert.equal(refused.status, 401);
    counted.take();
  });
  after(() => t.close());

  /** Asserts the answer is the unknown user's, and returns the slow hashing the request did. */
  async function failsLikeUnknown(path: string, body: Record<string, string>) {
    const res = await post(path, body);
    assert.deepEqual({ status: res.status, body: res.body, challenge: res.headers['www-authenticate'] }, refused, `${path} ${body.userName}`);
    return counted.take();
  }

  const FULL = ['verify:full'];
  const FULL_AND_OTP = ['verify:full', 'verify:otp'];

  for (const [reason, userName] of [
    ['an unknown user', 'finns.inte'],
    ['a wrong password', 'med.losenord'],
    ['a user without credentials', 'utan.behorighet'],
    ['a user with an unused one-time password', 'vantar.engang'],
    ['an inactive user', 'inaktiv'],
    ['a user of a deactivated organisation', 'i.nedlagd'],
  ]) {
    it(`login: ${reason} — the same 401, one full-cost verification (and one at OTP cost for a candidate of OTP form)`, async () => {
      assert.deepEqual(await failsLikeUnknown('/auth/login', { userName, password: WRONG }), FULL);
      assert.deepEqual(await failsLikeUnknown('/auth/login', { userName, password: recordSecret(generateOneTimePassword()) }), FULL_AND_OTP);
    });

    it(`/auth/password: ${reason} — the same 401 and the same cost`, async () => {
      assert.deepEqual(await failsLikeUnknown('/auth/password', { userName, currentPassword: WRONG, newPassword: 'Nyttlosen123' }), FULL);
      assert.deepEqual(await failsLikeUnknown('/auth/password', { userName, oneTimePassword: recordSecret(generateOneTimePassword()), newPassword: 'Nyttlosen123' }), FULL_AND_OTP);
    });
  }

  it('the right password is refused like any failure for an inactive user and for a user of a deactivated organisation', async () => {
    assert.deepEqual(await failsLikeUnknown('/auth/login', { userName: 'inaktiv', password: PASSWORD }), FULL);
    assert.deepEqual(await failsLikeUnknown('/auth/login', { userName: 'i.nedlagd', password: PASSWORD }), FULL);
  });

  it('a successful sign-in costs the same one verification', async () => {
    const byPassword = await post('/auth/login', { userName: 'med.losenord', password: PASSWORD });
    assert.equal(byPassword.status, 200);
    recordSecret(byPassword.body.token);
    assert.deepEqual(counted.take(), FULL);
    const pending = (await t.testDb.db('users').where({ user_name: 'vantar.engang' }).first()).id;
    const byOtp = await post('/auth/login', { userName: 'vantar.engang', password: await otpOf(pending) });
    assert.equal(byOtp.status, 200);
    recordSecret(byOtp.body.token);
    assert.deepEqual(counted.take(), FULL_AND_OTP);
  });

  it('answers that carry a session token are Cache-Control: no-store', async () => {
    const res = await post('/auth/login', { userName: 'med.losenord', password: PASSWORD });
    assert.equal(res.status, 200);
    recordSecret(res.body.token);
    assert.equal(res.headers['cache-control'], 'no-store');
    counted.take();
  });

  it('failures by a user without credentials neither lock nor mark the user, who still gets credentials on a first grant', async () => {
    const user = await admin.createUser('aldrig.beviljad');
    for (let i = 0; i < 6; i++) await failsLikeUnknown('/auth/login', { userName: 'aldrig.beviljad', password: WRONG });
    assert.equal((await admin.get(`/Users/${user.id}`)).body[IDM_USER].credentialStatus, 'none');
    assert.equal((await t.testDb.db('outbox').where({ user_id: user.id })).length, 0, 'a user without a service is sent nothing');
    await grant(admin, user.id);
    const sent = await t.testDb.db('outbox').where({ user_id: user.id }).pluck('channel');
    assert.deepEqual(sent.sort(), ['email', 'letter']);
    assert.equal((await admin.get(`/Users/${user.id}`)).body[IDM_USER].credentialStatus, 'pending');
    counted.take();
  });

  describe('a locked account', () => {
    it('is locked by the fifth failure in a row, tells the user by e-mail, and reads like any failure to a wrong password', async () => {
      const user = await userWithPassword(admin, 'last.konto');
      const start = new Date();
      t.clock.now = start;
      try {
        counted.take();
        const mails = async () => t.testDb.db('outbox').where({ user_id: user.id, channel: 'email' }).orderBy('id');
        const before = (await mails()).length;
        for (let i = 0; i < 5; i++) assert.deepEqual(await failsLikeUnknown('/auth/login', { userName: 'last.konto', password: WRONG }), FULL);
        assert.equal((await admin.get(`/Users/${user.id}`)).body[IDM_USER].credentialStatus, 'locked');

        const sent = (await mails()).slice(before);
        assert.equal(sent.length, 1, 'one e-mail tells the user of the lock');
        assert.equal(sent[0].recipient, 'last.konto@example.se');
        assert.match(sent[0].subject, /låst/);
        assert.match(sent[0].body, /5 gånger i rad/);

        assert.deepEqual(await failsLikeUnknown('/auth/login', { userName: 'last.konto', password: WRONG }), FULL);
        assert.deepEqual(await failsLikeUnknown('/auth/login', { userName: 'last.konto', password: recordSecret(generateOneTimePassword()) }), FULL_AND_OTP);
        assert.deepEqual(await failsLikeUnknown('/auth/password', { userName: 'last.konto', currentPassword: WRONG, newPassword: 'Nyttlosen123' }), FULL);

        const right = await post('/auth/login', { userName: 'last.konto', password: PASSWORD });
        assert.equal(right.status, 401);
        assert.match(right.body.detail, /Kontot är låst efter 5 misslyckade inloggningar i rad\. Försök igen om 15 minuter\./);
        assert.deepEqual(counted.take(), FULL, 'the right password costs what a wrong one does');
        assert.equal((await mails()).length, before + 1, 'attempts while locked send nothing more');

        t.clock.now = new Date(start.getTime() + 16 * 60_000);
        const later = await post('/auth/login', { userName: 'last.konto', password: PASSWORD });
        assert.equal(later.status, 200);
        recordSecret(later.body.token);
        counted.take();
      } finally {
        t.clock.now = new Date();
      }
    });

    it('failure and lockout audit events carry the request id', async () => {
      const user = await userWithPassword(admin, 'spar.konto');
      const start = new Date();
      t.clock.now = start;
      try {
        for (let i = 0; i < 5; i++) {
          const res = await post('/auth/login', { userName: 'spar.konto', password: WRONG }, { 'X-Request-Id': `forsok-${i}` });
          assert.equal(res.status, 401);
        }
        const events = await t.testDb.db('audit_events').where({ resource_id: user.id }).whereIn('action', ['login.failure', 'login.lockout']).orderBy('id');
        assert.deepEqual(events.map((e: { action: string; request_id: string }) => [e.action, e.request_id]), [
          ['login.failure', 'forsok-0'],
          ['login.failure', 'forsok-1'],
          ['login.failure', 'forsok-2'],
          ['login.failure', 'forsok-3'],
          ['login.lockout', 'forsok-4'],
        ]);
        counted.take();
      } finally {
        t.clock.now = new Date();
      }
    });
  });
});
