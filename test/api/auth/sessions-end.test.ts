import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';
import { recordSecret } from '../../helpers/secrets.ts';

const PASSWORD = recordSecret('Sessionslosen1');

/**
 * SPEC §6.2: sessions end when the user's password is set or reset, a new one-time password is
 * issued, or the user or organisation is deactivated; they never come back. The app runs with its
 * default 5-second caches: a session ended in this process is refused at once.
 */
describe('sessions end with the credential', () => {
  let t: TestApp;
  let admin: ScimClient;
  let provisioner: ScimClient;
  let operator: string;
  let group: string;

  const post = (path: string, body: unknown, token?: string) => {
    const req = t.http().post(path).set('Content-Type', 'application/json');
    if (token) req.set('Authorization', `Bearer ${token}`);
    return req.send(JSON.stringify(body));
  };
  const alive = async (token: string) => (await post('/auth/keep-alive', {}, token)).status;
  const signIn = async (userName: string, password = PASSWORD) => {
    const res = await post('/auth/login', { userName, password });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return recordSecret(res.body.token as string);
  };
  const lastOtp = async (userId: string) =>
    recordSecret((await t.testDb.db('outbox').where({ user_id: userId, channel: 'email' }).orderBy('id', 'desc').first()).secret as string);

  async function signedInUser(client: ScimClient, userName: string) {
    const user = await client.createUser(userName);
    const groupId = client === admin || client === provisioner ? group : await client.groupId('studietider-och-utbildningar');
    assert.equal((await client.patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }))).status, 204);
    assert.equal((await post('/auth/password', { userName, oneTimePassword: await lastOtp(user.id), newPassword: PASSWORD })).status, 204);
    const tokens = [await signIn(userName), await signIn(userName)];
    for (const token of tokens) assert.equal(await alive(token), 200);
    return { user, tokens };
  }

  before(async () => {
    t = await createTestApp({ authRateLimitPerMinute: 0 });
    assert.equal(t.config.cacheSeconds, 5, 'the default caches are on');
    const org = await t.createOrg({ name: 'Sessionsskolan', schoolForm: 'hogskola' });
    admin = await scimClient(t, org.id, 'admin');
    provisioner = await scimClient(t, org.id, 'provisioner');
    operator = await t.operatorToken();
    group = await admin.groupId('studietider-och-utbildningar');
  });
  after(() => t.close());

  it('a password written over SCIM ends every session of the user', async () => {
    const { user, tokens } = await signedInUser(provisioner, 'scim.losen');
    const res = await provisioner.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'password', value: recordSecret('Nyttlosen123') }));
    assert.equal(res.status, 200);
    for (const token of tokens) assert.equal(await alive(token), 401);
  });

  it('a password written by PUT ends them too', async () => {
    const { user, tokens } = await signedInUser(provisioner, 'put.losen');
    const res = await provisioner.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'put.losen', emails: [{ value: 'put.losen@example.se', type: 'work' }], password: recordSecret('Nyttlosen456') });
    assert.equal(res.status, 200);
    for (const token of tokens) assert.equal(await alive(token), 401);
  });

  it('a SCIM write without a password leaves the sessions alone', async () => {
    const { user, tokens } = await signedInUser(provisioner, 'orord');
    assert.equal((await provisioner.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Orörd' }))).status, 200);
    for (const token of tokens) assert.equal(await alive(token), 200);
  });

  it('a password changed through /auth ends every session of the user', async () => {
    const { tokens } = await signedInUser(admin, 'auth.losen');
    assert.equal((await post('/auth/password', { userName: 'auth.losen', currentPassword: PASSWORD, newPassword: recordSecret('Andralosen123') })).status, 204);
    for (const token of tokens) assert.equal(await alive(token), 401);
  });

  it('a one-time password ordered by the admin ends every session of the user', async () => {
    const { user, tokens } = await signedInUser(admin, 'bestalld.engang');
    assert.equal((await post(`/api/v1/users/${user.id}/one-time-password`, {}, admin.token)).status, 202);
    for (const token of tokens) assert.equal(await alive(token), 401);
  });

  it('a one-time password sent by /auth/forgot ends every session of the user', async () => {
    const { tokens } = await signedInUser(admin, 'glomd.engang');
    assert.equal((await post('/auth/forgot', { userName: 'glomd.engang' })).status, 202);
    for (const token of tokens) assert.equal(await alive(token), 401);
  });

  it('deactivating the user ends its sessions, and reactivating brings none back', async () => {
    const { user, tokens } = await signedInUser(admin, 'inaktiveras');
    assert.equal((await admin.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }))).status, 200);
    for (const token of tokens) assert.equal(await alive(token), 401);
    assert.equal((await admin.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: true }))).status, 200);
    for (const token of tokens) assert.equal(await alive(token), 401, 'an ended session stays ended');
    assert.equal(await alive(await signIn('inaktiveras')), 200, 'the user signs in anew');
  });

  it('deactivating the organisation ends its users’ sessions, refuses sign-in, and reactivating brings no session back', async () => {
    const org = await t.createOrg({ name: 'Tillfälligt stängda skolan', schoolForm: 'hogskola' });
    const own = await scimClient(t, org.id, 'admin');
    const { tokens } = await signedInUser(own, 'stangs.ute');
    const elsewhere = await signedInUser(admin, 'annan.skola');
    const setActive = (active: boolean) => t.http().patch(`/admin/v1/organisations/${org.id}`).set('Authorization', `Bearer ${operator}`).send({ active });

    assert.equal((await setActive(false)).status, 200);
    for (const token of tokens) assert.equal(await alive(token), 401);
    const refused = await post('/auth/login', { userName: 'stangs.ute', password: PASSWORD });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.detail, 'Fel användarnamn eller lösenord.');
    for (const token of elsewhere.tokens) assert.equal(await alive(token), 200, 'another organisation’s sessions go on');

    assert.equal((await setActive(true)).status, 200);
    for (const token of tokens) assert.equal(await alive(token), 401, 'an ended session stays ended');
    assert.equal(await alive(await signIn('stangs.ute')), 200);
  });
});
