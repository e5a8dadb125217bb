import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { capturedLogs, createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { IDM_USER, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';
import { OTP_ALPHABET, generateOneTimePassword } from '../../../src/domain/one-time-password.ts';
import { passwordProblems } from '../../../src/domain/password-policy.ts';
import { recordSecret } from '../../helpers/secrets.ts';

for (const password of ['Sommar2026!', 'Vinter2026!', 'Korrekt123', 'Session123', 'Adminpass1', 'Starkt123']) recordSecret(password);

describe('credentials and sign-in (SPEC §3.4, §6.2)', () => {
  let t: TestApp;
  let admin: ScimClient;
  let group: string;
  let second: string;

  before(async () => {
    // Every request here comes from one address; the per-address limit has its own tests.
    t = await createTestApp({ authRateLimitPerMinute: 0 });
    const org = await t.createOrg({ name: 'Inloggningsskolan', schoolForm: 'hogskola', postalAddress: 'Box 1, 111 11 Skolstad' });
    admin = await scimClient(t, org.id, 'admin');
    group = await admin.groupId('studietider-och-utbildningar');
    second = await admin.groupId('studeranderapportering');
  });
  after(() => t.close());

  const outbox = (userId: string) => t.testDb.db('outbox').where({ user_id: userId }).orderBy('id');
  const grant = (groupId: string, userId: string) => admin.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: userId }] }));
  const post = (path: string, body: unknown, token?: string) => {
    const req = t.http().post(path).set('Content-Type', 'application/json');
    if (token) req.set('Authorization', `Bearer ${token}`);
    return req.send(JSON.stringify(body));
  };
  const otpOf = async (userId: string) => {
    const rows = await outbox(userId);
    return recordSecret(rows.filter((r: { channel: string }) => r.channel === 'email').at(-1).secret as string);
  };

  async function newUser(userName: string, extra: Record<string, unknown> = {}) {
    return admin.createUser(userName, extra);
  }

  it('a new user is created, granted, e-mailed, signs in with the one-time password, sets a password and signs in with it', async () => {
    const user = await newUser('ny.anvandare@skola.se');
    assert.equal(user[IDM_USER].credentialStatus, 'none');
    assert.equal((await outbox(user.id)).length, 0, 'no credentials before the first grant');

    assert.equal((await grant(group, user.id)).status, 204);
    const messages = await outbox(user.id);
    assert.deepEqual(messages.map((m: { channel: string }) => m.channel).sort(), ['email', 'letter']);
    const letter = messages.find((m: { channel: string }) => m.channel === 'letter');
    assert.equal(letter.recipient, 'Box 1, 111 11 Skolstad');
    assert.match(letter.body, /ny\.anvandare@skola\.se/);
    const email = messages.find((m: { channel: string }) => m.channel === 'email');
    recordSecret(email.secret);
    assert.equal(email.recipient, 'ny.anvandareskola.se@example.se');
    assert.ok(!email.body.includes(email.secret), 'the stored body holds a placeholder, not the password');
    assert.ok(email.secret.length >= 12 && [...email.secret].every((c: string) => OTP_ALPHABET.includes(c)));
    assert.equal((await admin.get(`/Users/${user.id}`)).body[IDM_USER].credentialStatus, 'pending');

    assert.equal((await grant(second, user.id)).status, 204);
    assert.equal((await outbox(user.id)).length, 2, 'a later grant sends nothing');

    const otpLogin = await post('/auth/login', { userName: 'NY.ANVANDARE@skola.se', password: email.secret });
    assert.equal(otpLogin.status, 200, JSON.stringify(otpLogin.body));
    recordSecret(otpLogin.body.token);
    assert.equal(otpLogin.body.passwordChangeOnly, true);
    const limited = await t.http().get('/scim/v2/Me').set('Authorization', `Bearer ${otpLogin.body.token}`);
    assert.equal(limited.status, 403, 'a one-time password session may only change the password');

    const weak = await post('/auth/password', { userName: 'ny.anvandare@skola.se', oneTimePassword: email.secret, newPassword: 'ny.anvandare@skola.se' });
    assert.equal(weak.status, 400);
    assert.match(weak.body.detail, /versal/);
    assert.match(weak.body.detail, /siffra/);
    assert.match(weak.body.detail, /användarnamnet/);

    const changed = await post('/auth/password', { userName: 'ny.anvandare@skola.se', oneTimePassword: email.secret, newPassword: 'Sommar2026!' });
    assert.equal(changed.status, 204);
    const reused = await post('/auth/password', { userName: 'ny.anvandare@skola.se', oneTimePassword: email.secret, newPassword: 'Vinter2026!' });
    assert.equal(reused.status, 401, 'the one-time password is single use');
    const oldSession = await post('/auth/keep-alive', {}, otpLogin.body.token);
    assert.equal(oldSession.status, 401, 'a password change ends the sessions');

    const login = await post('/auth/login', { userName: 'ny.anvandare@skola.se', password: 'Sommar2026!' });
    assert.equal(login.status, 200);
    recordSecret(login.body.token);
    const secretsSoFar = [email.secret, otpLogin.body.token, login.body.token, 'Sommar2026!'];
    for (const line of capturedLogs) for (const secret of secretsSoFar) assert.ok(!line.includes(secret), 'a secret reached the log');
    const auditRows = JSON.stringify(await t.testDb.db('audit_events').where({ org_id: admin.orgId }));
    for (const secret of secretsSoFar) assert.ok(!auditRows.includes(secret), 'a secret reached the audit trail');
    assert.equal(login.body.passwordChangeOnly, false);
    assert.equal(login.body.role, 'user');
    const me = await t.http().get('/scim/v2/Me').set('Authorization', `Bearer ${login.body.token}`);
    assert.equal(me.status, 200);
    assert.equal(me.body.id, user.id);
    assert.equal(me.body[IDM_USER].credentialStatus, 'active');
    const scim = await t.http().get('/scim/v2/Users').set('Authorization', `Bearer ${login.body.token}`);
    assert.equal(scim.status, 403, 'an ordinary user reaches /Me only');
  });

  it('grants racing to two groups issue one set of credentials, and its one-time password signs in', async () => {
    const user = await newUser('samtidig@skola.se');
    const [a, b] = await Promise.all([grant(group, user.id), grant(second, user.id)]);
    assert.deepEqual([a.status, b.status], [204, 204]);
    const messages = await outbox(user.id);
    assert.deepEqual(messages.map((m: { channel: string }) => m.channel).sort(), ['email', 'letter']);
    const otp = await otpOf(user.id);
    const login = await post('/auth/login', { userName: 'samtidig@skola.se', password: otp });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    recordSecret(login.body.token);
    assert.equal(login.body.passwordChangeOnly, true);
  });

  it('refuses a grant to a user without an e-mail address, with a Swedish detail, and stores nothing', async () => {
    const res = await admin.post('/Users', { schemas: [USER_SCHEMA], userName: 'utan.epost@skola.se' });
    const user = res.body;
    const refused = await grant(group, user.id);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.scimType, 'invalidValue');
    assert.match(refused.body.detail, /e-postadress/);
    assert.equal(await t.testDb.db('memberships').where({ user_id: user.id }).first(), undefined);
    assert.equal((await outbox(user.id)).length, 0);
    assert.equal((await admin.get(`/Users/${user.id}`)).body[IDM_USER].credentialStatus, 'none');
  });

  it('locks the account for 15 minutes after 5 failures in a row', async () => {
    const user = await newUser('last@skola.se');
    await grant(group, user.id);
    const otp = await otpOf(user.id);
    await post('/auth/password', { userName: 'last@skola.se', oneTimePassword: otp, newPassword: 'Korrekt123' });
    const start = new Date();
    t.clock.now = start;
    try {
      for (let i = 0; i < 5; i++) assert.equal((await post('/auth/login', { userName: 'last@skola.se', password: `Fel${i}` })).status, 401);
      // A wrong password reads as any failed sign-in, an unknown name's included (SPEC §6.2) ...
      const unknown = await post('/auth/login', { userName: 'finns.inte@skola.se', password: 'Fel5' });
      const wrong = await post('/auth/login', { userName: 'last@skola.se', password: 'Fel5' });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, unknown.body);
      assert.equal(wrong.body.detail, 'Fel användarnamn eller lösenord.');
      // ... the lock is told to whoever gives the right password, and to the user by e-mail.
      const locked = await post('/auth/login', { userName: 'last@skola.se', password: 'Korrekt123' });
      assert.equal(locked.status, 401);
      assert.match(locked.body.detail, /Kontot är låst/);
      const lockMail = (await outbox(user.id)).filter((m: { subject: string }) => /låst/.test(m.subject));
      assert.equal(lockMail.length, 1);
      assert.equal((await admin.get(`/Users/${user.id}`)).body[IDM_USER].credentialStatus, 'locked');
      t.clock.now = new Date(start.getTime() + 16 * 60_000);
      const after = await post('/auth/login', { userName: 'last@skola.se', password: 'Korrekt123' });
      assert.equal(after.status, 200);
      const actions = await t.testDb.db('audit_events').where({ resource_id: user.id }).pluck('action');
      assert.ok(actions.includes('login.failure') && actions.includes('login.lockout') && actions.includes('login'));
    } finally {
      t.clock.now = new Date();
    }
  });

  it('a one-time password expires after 72 hours, and a new one voids the old', async () => {
    const user = await newUser('utgar@skola.se');
    await grant(group, user.id);
    const first = await otpOf(user.id);
    const ordered = await post(`/api/v1/users/${user.id}/one-time-password`, {}, admin.token);
    assert.equal(ordered.status, 202);
    assert.ok(!JSON.stringify(ordered.body).includes(first));
    const secondOtp = await otpOf(user.id);
    assert.notEqual(secondOtp, first);
    assert.equal((await post('/auth/login', { userName: 'utgar@skola.se', password: first })).status, 401, 'the old one is void');
    const start = new Date();
    t.clock.now = new Date(start.getTime() + 73 * 3600_000);
    try {
      assert.equal((await post('/auth/login', { userName: 'utgar@skola.se', password: secondOtp })).status, 401, 'expired');
    } finally {
      t.clock.now = new Date();
    }
    assert.equal((await post('/auth/login', { userName: 'utgar@skola.se', password: secondOtp })).status, 200);
    const provisioner = await scimClient(t, admin.orgId, 'provisioner');
    assert.equal((await post(`/api/v1/users/${user.id}/one-time-password`, {}, provisioner.token)).status, 403);
    assert.equal((await post('/api/v1/users/not-a-uuid/one-time-password', {}, admin.token)).status, 404);
  });

  it('POST /auth/forgot answers 202 whether or not the user exists, and e-mails only a real, active user with a service', async () => {
    const user = await newUser('glomsk@skola.se');
    await grant(group, user.id);
    const before = (await outbox(user.id)).length;
    for (const userName of ['glomsk@skola.se', 'finns.inte@skola.se']) {
      const res = await post('/auth/forgot', { userName });
      assert.equal(res.status, 202);
      assert.deepEqual(Object.keys(res.body), ['status']);
    }
    assert.equal((await outbox(user.id)).length, before + 1);
    await admin.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await post('/auth/forgot', { userName: 'glomsk@skola.se' });
    assert.equal((await outbox(user.id)).length, before + 1, 'an inactive user gets nothing');
  });

  it('ends a session after 20 idle minutes; keep-alive extends it; logout ends it', async () => {
    const user = await newUser('session@skola.se');
    await grant(group, user.id);
    await post('/auth/password', { userName: 'session@skola.se', oneTimePassword: await otpOf(user.id), newPassword: 'Session123' });
    const start = new Date();
    t.clock.now = start;
    try {
      const { token } = (await post('/auth/login', { userName: 'session@skola.se', password: 'Session123' })).body;
      t.clock.now = new Date(start.getTime() + 19 * 60_000);
      assert.equal((await post('/auth/keep-alive', {}, token)).status, 200);
      t.clock.now = new Date(start.getTime() + 38 * 60_000);
      assert.equal((await post('/auth/keep-alive', {}, token)).status, 200, 'kept alive 19 minutes ago');
      t.clock.now = new Date(start.getTime() + 59 * 60_000);
      assert.equal((await post('/auth/keep-alive', {}, token)).status, 401, 'idle for 21 minutes');

      t.clock.now = start;
      const other = (await post('/auth/login', { userName: 'session@skola.se', password: 'Session123' })).body.token;
      assert.equal((await post('/auth/logout', {}, other)).status, 204);
      assert.equal((await post('/auth/keep-alive', {}, other)).status, 401);

      const long = (await post('/auth/login', { userName: 'session@skola.se', password: 'Session123' })).body.token;
      for (let minutes = 15; minutes <= 8 * 60 - 5; minutes += 15) {
        t.clock.now = new Date(start.getTime() + minutes * 60_000);
        assert.equal((await post('/auth/keep-alive', {}, long)).status, 200);
      }
      t.clock.now = new Date(start.getTime() + 8 * 3600_000 + 60_000);
      assert.equal((await post('/auth/keep-alive', {}, long)).status, 401, 'the absolute limit of 8 hours');
    } finally {
      t.clock.now = new Date();
    }
  });

  it('a session of a member of behorighetsadministrator acts as admin', async () => {
    const user = await newUser('sessionsadmin@skola.se');
    await grant(group, user.id);
    await post('/auth/password', { userName: 'sessionsadmin@skola.se', oneTimePassword: await otpOf(user.id), newPassword: 'Adminpass1' });
    const adminGroup = await admin.groupId('behorighetsadministrator');
    await t.testDb.db('memberships').insert({ org_id: admin.orgId, group_id: adminGroup, user_id: user.id, created_at: new Date() });
    const login = await post('/auth/login', { userName: 'sessionsadmin@skola.se', password: 'Adminpass1' });
    assert.equal(login.body.role, 'admin');
    const users = await t.http().get('/scim/v2/Users').set('Authorization', `Bearer ${login.body.token}`);
    assert.equal(users.status, 200);
    const audit = await t.http().get('/api/v1/users.csv').set('Authorization', `Bearer ${login.body.token}`);
    assert.equal(audit.status, 200);
  });

  it('applies the password policy to SCIM password writes by a provisioner', async () => {
    const provisioner = await scimClient(t, admin.orgId, 'provisioner');
    const weak = await provisioner.post('/Users', { schemas: [USER_SCHEMA], userName: 'svag@skola.se', password: 'abc' });
    assert.equal(weak.status, 400);
    assert.match(weak.body.detail, /minst 8 tecken/);
    assert.equal(await t.testDb.db('users').where({ user_name: 'svag@skola.se' }).first(), undefined);
    const strong = await provisioner.post('/Users', { schemas: [USER_SCHEMA], userName: 'stark@skola.se', password: 'Starkt123' });
    assert.equal(strong.status, 201);
  });

  it('validates request bodies', async () => {
    assert.equal((await post('/auth/login', { userName: 'x' })).status, 400);
    assert.equal((await post('/auth/password', { userName: 'x', newPassword: 'Abcdefg1' })).status, 400);
    assert.equal((await post('/auth/keep-alive', {})).status, 401);
    assert.equal((await post('/auth/keep-alive', {}, admin.token)).status, 403, 'keep-alive needs a session token');
  });
});

describe('password policy and one-time passwords', () => {
  it('names every rule broken', () => {
    assert.deepEqual(passwordProblems('abc', 'anna'), ['minst 8 tecken', 'minst en versal (stor bokstav)', 'minst en siffra']);
    assert.deepEqual(passwordProblems('Anna12345', 'anna'), ['får inte innehålla användarnamnet']);
    assert.deepEqual(passwordProblems('Lösenord1', 'anna'), []);
    assert.deepEqual(passwordProblems(`A1${'b'.repeat(127)}`, 'x'), ['högst 128 tecken']);
  });
  it('draws one-time passwords without look-alikes', () => {
    for (const c of '0O1lI5S2Z8B') assert.ok(!OTP_ALPHABET.includes(c), c);
    const many = new Set(Array.from({ length: 200 }, () => generateOneTimePassword()));
    assert.equal(many.size, 200);
    for (const otp of many) assert.equal(otp.length, 14);
  });
});
