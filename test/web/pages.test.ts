import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { IDM_USER, patchOp, scimClient, type ScimClient } from '../helpers/scim.ts';
import { WEB_ORIGIN, createAdmin, webClient, type WebClient } from '../helpers/web.ts';

const PASSWORD = 'Skolans2026Admin';

/** The pages over HTTP, as a browser without script sends them (SPEC §6.5); the browser suite drives them in Chromium. */
describe('the web pages (SPEC §6.5)', () => {
  let t: TestApp;
  let gymnasium: Record<string, any>;
  let komvux: Record<string, any>;
  let scim: ScimClient;
  let web: WebClient;
  let formOnlyGroup: string;
  let studyGroup: string;

  before(async () => {
    t = await createTestApp({ authRateLimitPerMinute: 0, publicUrl: WEB_ORIGIN, sessionIdleSeconds: 600, sessionWarningSeconds: 120 });
    gymnasium = await t.createOrg({ name: 'Webbgymnasiet', schoolForm: 'gymnasieskola', postalAddress: 'Box 2, 222 22 Skolstad' });
    komvux = await t.createOrg({ name: 'Filkomvux', schoolForm: 'komvux', reportsViaFile: true, postalAddress: 'Box 3' });
    await createAdmin(t, gymnasium.id, 'webb.admin', PASSWORD);
    scim = await scimClient(t, gymnasium.id, 'operator');
    formOnlyGroup = await scim.groupId('studeranderapportering');
    studyGroup = await scim.groupId('studietider-och-utbildningar');
    web = webClient(t);
    const signedIn = await web.signIn('webb.admin', PASSWORD);
    assert.equal(signedIn.status, 302, signedIn.text);
  });
  after(() => t.close());

  const usersNamed = (userName: string) => t.testDb.db('users').where({ user_name: userName });

  it('signs in with a session cookie that is HttpOnly and SameSite=Strict, and shows the organisation\'s users', async () => {
    const other = webClient(t);
    const res = await other.signIn('webb.admin', PASSWORD);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/');
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('idm_session='))!;
    assert.match(cookie, /httponly/i);
    assert.match(cookie, /samesite=strict/i);
    assert.doesNotMatch(cookie, /secure/i, 'not Secure over plain http');
    const list = await other.get('/');
    assert.equal(list.status, 200);
    assert.match(list.text, /<html lang="sv">/);
    assert.match(list.text, /<h1>Användare<\/h1>/);
    assert.match(list.text, /webb\.admin/);
    assert.match(list.text, /class="badge"> Behörighetsadministratör/, 'admins are marked');
  });

  it('answers every failed sign-in with the same words, and keeps the form without the password', async () => {
    const wrong = await webClient(t).signIn('webb.admin', 'Fel2026lösen');
    const unknown = await webClient(t).signIn('finns.inte', 'Fel2026lösen');
    for (const res of [wrong, unknown]) {
      assert.equal(res.status, 401);
      assert.match(res.text, /Fel användarnamn eller lösenord\./);
      assert.doesNotMatch(res.text, /Fel2026lösen/);
      const cookies = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
      assert.ok(!cookies.some((c) => /^idm_session=[^;]/.test(c)), 'no session');
    }
  });

  it('sends a strict Content-Security-Policy, no framing and no-store on every page', async () => {
    for (const [client, path] of [[web, '/'], [webClient(t), '/logga-in'], [web, '/losenord'], [web, '/anvandare/ny'], [web, '/administratorer']] as const) {
      const res = await client.get(path);
      assert.equal(res.status, 200, path);
      const csp = res.headers['content-security-policy'];
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /style-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(res.headers['x-frame-options'], 'DENY', path);
      assert.equal(res.headers['cache-control'], 'no-store', path);
      assert.doesNotMatch(res.text, /<script>|<style>| style="| on[a-z]+="/, `${path}: no inline script or style`);
    }
  });

  it('refuses a form without its CSRF token, or from another origin, and saves nothing of it', async () => {
    const fields = { givenName: 'Csrf', familyName: 'Test', email: 'csrf@skola.se', userName: 'csrf.test' };
    const noToken = await web.post('/anvandare/ny', fields, { csrf: null });
    assert.equal(noToken.status, 403);
    assert.match(noToken.text, /kontrollkod/);
    const wrongToken = await web.post('/anvandare/ny', fields, { csrf: 'A'.repeat(43) });
    assert.equal(wrongToken.status, 403);
    const otherOrigin = await web.post('/anvandare/ny', fields, { origin: 'https://angripare.example' });
    assert.equal(otherOrigin.status, 403);
    assert.match(otherOrigin.text, /kom inte från den här webbplatsen/);
    const noOrigin = await web.post('/anvandare/ny', fields, { origin: null });
    assert.equal(noOrigin.status, 403);
    assert.equal((await usersNamed('csrf.test')).length, 0, 'nothing of a refused form is saved');

    const accepted = await web.post('/anvandare/ny', fields);
    assert.equal(accepted.status, 302);
    assert.equal((await usersNamed('csrf.test')).length, 1);
  });

  it('shows a name written as HTML as text', async () => {
    const created = await scim.createUser('html.namn', { name: { givenName: '<script>alert(1)</script>', familyName: '<img src=x onerror=alert(2)>' } });
    const list = await web.get(`/?sok=${encodeURIComponent('html.namn')}`);
    assert.equal(list.status, 200);
    assert.match(list.text, /&lt;script>alert\(1\)&lt;\/script>/);
    assert.doesNotMatch(list.text, /<script>alert/);
    assert.doesNotMatch(list.text, /<img src=x/);
    const page = await web.get(`/anvandare/${created.id}`);
    assert.doesNotMatch(page.text, /<script>alert|<img src=x/);
    assert.match(page.text, /<title>&lt;script>alert\(1\)&lt;\/script> &lt;img/);
  });

  it('adds a user with a service: the user, the membership and the first credentials, and says what happens next', async () => {
    const res = await web.post('/anvandare/ny', { givenName: 'Stina', familyName: 'Studie', email: 'stina@skola.se', userName: 'stina.studie', service: studyGroup });
    assert.equal(res.status, 302);
    const [user] = await usersNamed('stina.studie');
    assert.equal(res.headers.location, `/anvandare/${user.id}?klart=skapad`);
    const page = await web.get(res.headers.location);
    assert.match(page.text, /Användaren är sparad/);
    assert.match(page.text, /Ett brev med användarnamnet skickas till organisationens postadress/);
    assert.match(page.text, /stina@skola\.se/);
    const stored = (await scim.get(`/Users/${user.id}`)).body;
    assert.deepEqual(stored[IDM_USER].services, ['studietider-och-utbildningar']);
    assert.equal(stored[IDM_USER].credentialStatus, 'pending');
    const outbox = await t.testDb.db('outbox').where({ user_id: user.id });
    assert.deepEqual(outbox.map((m: { channel: string }) => m.channel).sort(), ['email', 'letter']);
  });

  it('shows the form-only service disabled with its reason at a gymnasieskola, and refuses it if posted anyway, saving nothing', async () => {
    const form = await web.get('/anvandare/ny');
    const box = new RegExp(`<input type="checkbox" id="tjanst-studeranderapportering" name="service" value="${formOnlyGroup}" disabled`);
    assert.match(form.text, box);
    assert.match(form.text, /ges på blankett för er skolform.*Kontakta er kontaktperson på CSN/s);
    assert.doesNotMatch(form.text, /tjanst-behorighetsadministrator/, 'Behörighetsadministratör is never offered here');
    assert.match(form.text, /id="ingen-tjanst"[^>]*role="status"/, 'the no-service warning is on the page');

    const res = await web.post('/anvandare/ny', { givenName: 'Rut', familyName: 'Rapport', email: 'rut@skola.se', userName: 'rut.rapport', service: [studyGroup, formOnlyGroup] });
    assert.equal(res.status, 403);
    assert.match(res.text, /Användaren sparades inte/);
    assert.match(res.text, /<p id="tjanster-fel" class="field-error">Behörighet till Studeranderapportering ges på blankett/, 'the rule\'s words next to the services');
    assert.match(res.text, /value="rut\.rapport"/, 'what was typed is kept');
    assert.equal((await usersNamed('rut.rapport')).length, 0, 'no user is left behind');

    const unknown = await web.post('/anvandare/ny', { givenName: 'Rut', familyName: 'Rapport', email: 'rut@skola.se', userName: 'rut.rapport', service: 'inte-en-tjanst' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /Tjänsten inte-en-tjanst finns inte i organisationen/);
    assert.equal((await usersNamed('rut.rapport')).length, 0);
  });

  it('offers the same service at a komvux that reports by file', async () => {
    const admin = webClient(t);
    await createAdmin(t, komvux.id, 'komvux.admin', PASSWORD);
    assert.equal((await admin.signIn('komvux.admin', PASSWORD)).status, 302);
    const form = await admin.get('/anvandare/ny');
    assert.match(form.text, /<input type="checkbox" id="tjanst-studeranderapportering" name="service" value="[^"]+"\/>/);
    const group = /id="tjanst-studeranderapportering" name="service" value="([^"]+)"/.exec(form.text)![1];
    const res = await admin.post('/anvandare/ny', { givenName: 'Kim', familyName: 'Komvux', email: 'kim@komvux.se', userName: 'kim.komvux', service: group });
    assert.equal(res.status, 302);
    const [user] = await usersNamed('kim.komvux');
    assert.equal(user.org_id, komvux.id);
  });

  it('changes details and services, orders a one-time password, asks CSN to end a user and takes it back', async () => {
    const user = await scim.createUser('andras.anna', { name: { givenName: 'Anna', familyName: 'Ändras' } });
    const base = `/anvandare/${user.id}`;
    const page = await web.get(base);
    assert.match(page.text, /<dd id="anvandarnamn">andras\.anna<\/dd>/, 'the username shown plainly');

    assert.equal((await web.post(`${base}/uppgifter`, { givenName: 'Anna', familyName: 'Ändrad', email: 'ny.adress@skola.se' })).headers.location, `${base}?klart=uppgifter`);
    let stored = (await scim.get(`/Users/${user.id}`)).body;
    assert.equal(stored.name.familyName, 'Ändrad');
    assert.equal(stored.emails.find((e: { type: string }) => e.type === 'work').value, 'ny.adress@skola.se');

    assert.equal((await web.post(`${base}/tjanster`, { service: studyGroup })).status, 302);
    stored = (await scim.get(`/Users/${user.id}`)).body;
    assert.deepEqual(stored[IDM_USER].services, ['studietider-och-utbildningar']);

    const ordered = await web.post(`${base}/engangslosenord`, {});
    assert.equal(ordered.headers.location, `${base}?klart=engangslosenord`);
    const emails = await t.testDb.db('outbox').where({ user_id: user.id, channel: 'email' });
    assert.equal(emails.length, 2, 'the first grant\'s e-mail and the ordered one');
    assert.ok(emails.every((m: { recipient: string }) => m.recipient === 'ny.adress@skola.se'));

    assert.equal((await web.post(`${base}/avsluta`, {})).headers.location, `${base}?klart=avslut`);
    const requested = await web.get(base);
    assert.match(requested.text, /<dt>Status<\/dt><dd>Avslut begärt<\/dd>/);
    assert.match(requested.text, /Ångra begäran om avslut/);
    const open = await t.testDb.db('termination_requests').where({ user_id: user.id, status: 'open' });
    assert.equal(open.length, 1);
    const list = await web.get(`/?sok=andras.anna`);
    assert.match(list.text, /<td>Avslut begärt<\/td>/);

    assert.equal((await web.post(`${base}/angra-avslut`, {})).headers.location, `${base}?klart=angrat`);
    const undone = await t.testDb.db('termination_requests').where({ user_id: user.id });
    assert.deepEqual(undone.map((r: { status: string }) => r.status), ['cancelled']);
    assert.equal((await scim.get(`/Users/${user.id}`)).body.active, true);
    const history = await web.get(base);
    assert.match(history.text, /Uppgifterna ändrades/);
    assert.match(history.text, /Engångslösenord beställdes/);
  });

  it('removes a service but leaves a disabled one as it is, and refuses a disabled one posted anyway', async () => {
    const user = await scim.createUser('blankett.bo');
    // The operator grants the form-only service (after the school's paper form).
    assert.equal((await scim.patch(`/Groups/${formOnlyGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }))).status, 204);
    assert.equal((await web.post(`/anvandare/${user.id}/tjanster`, { service: studyGroup })).status, 302);
    let services = (await scim.get(`/Users/${user.id}`)).body[IDM_USER].services.sort();
    assert.deepEqual(services, ['studeranderapportering', 'studietider-och-utbildningar'], 'the unticked-because-disabled service stays');

    assert.equal((await web.post(`/anvandare/${user.id}/tjanster`, {})).status, 302);
    services = (await scim.get(`/Users/${user.id}`)).body[IDM_USER].services;
    assert.deepEqual(services, ['studeranderapportering']);

    const other = await scim.createUser('blankett.cecilia');
    const refused = await web.post(`/anvandare/${other.id}/tjanster`, { service: [studyGroup, formOnlyGroup] });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /Ändringen sparades inte/);
    assert.deepEqual((await scim.get(`/Users/${other.id}`)).body[IDM_USER].services, [], 'nothing of the refused form');
  });

  it('lists the admins with their usernames, and downloads the same CSV as /api/v1/users.csv', async () => {
    const admins = await web.get('/administratorer');
    assert.match(admins.text, />webb\.admin<\/a>/);
    assert.match(admins.text, /F-2026-1/);
    const csv = await web.get('/anvandare.csv').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.headers['content-disposition'], /attachment; filename="users-/);
    const api = await t.http().get('/api/v1/users.csv').set('Authorization', `Bearer ${await t.token('admin', gymnasium.id)}`).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    assert.deepEqual(csv.body, api.body);
    assert.equal((csv.body as Buffer).subarray(0, 3).toString('hex'), 'efbbbf', 'UTF-8 with a BOM');
  });

  it('pages through the users and searches by name, username or e-mail', async () => {
    for (let i = 0; i < 55; i++) await scim.createUser(`sida.${String(i).padStart(2, '0')}`, { name: { givenName: 'Sid', familyName: `Sidan${i}` } });
    const first = await web.get('/?sok=sida');
    assert.match(first.text, /55 användare som matchar ”sida”/);
    assert.match(first.text, /Sida 1 av 2/);
    assert.match(first.text, /href="\/\?sok=sida&amp;sida=2" rel="next"/);
    const second = await web.get('/?sok=sida&sida=2');
    assert.equal((second.text.match(/<tr><th scope="row">/g) ?? []).length, 5);
    const byMail = await web.get(`/?sok=${encodeURIComponent('sida.07@example')}`);
    assert.match(byMail.text, /1 användare som matchar/);
    const byFullName = await web.get(`/?sok=${encodeURIComponent('Sid Sidan54')}`);
    assert.match(byFullName.text, /1 användare som matchar/);
    const ascending = await web.get('/?sok=sida&sortering=name.familyName');
    assert.ok(ascending.text.indexOf('Sidan10<') < ascending.text.indexOf('Sidan2<'), 'names sort as text: Sidan10 before Sidan2');
    const descending = await web.get('/?sok=sida&sortering=name.familyName&ordning=fallande');
    assert.ok(descending.text.indexOf('Sidan9<') < descending.text.indexOf('Sidan50<'), 'and the other way descending');
  });

  it('asks the session\'s deadline without extending it; Stanna kvar extends it', async () => {
    const start = new Date();
    t.clock.now = start;
    try {
      const admin = webClient(t);
      assert.equal((await admin.signIn('webb.admin', PASSWORD)).status, 302);
      assert.equal((await admin.get('/')).status, 200);
      t.clock.now = new Date(start.getTime() + 100_000);
      const asked = await admin.agent.get('/session').set('Host', 'idm.test');
      assert.deepEqual(asked.body, { active: true, remainingSeconds: 500, warningSeconds: 120 });
      t.clock.now = new Date(start.getTime() + 200_000);
      assert.equal((await admin.agent.get('/session').set('Host', 'idm.test')).body.remainingSeconds, 400, 'asking did not count as activity');
      await admin.csrf();
      const stay = await admin.post('/session/stanna', {});
      assert.deepEqual(stay.body, { active: true });
      assert.equal((await admin.agent.get('/session').set('Host', 'idm.test')).body.remainingSeconds, 600);
      t.clock.now = new Date(start.getTime() + 200_000 + 600_000);
      assert.deepEqual((await admin.agent.get('/session').set('Host', 'idm.test')).body, { active: false });
      const after = await admin.get('/');
      assert.equal(after.status, 302);
      assert.equal(after.headers.location, '/logga-in');
    } finally {
      t.clock.now = new Date();
    }
  });

  it('sends a one-time password\'s session to the password change only, and a user who is not an admin to a page that says so', async () => {
    const user = await scim.createUser('vanlig.ville');
    assert.equal((await scim.patch(`/Groups/${studyGroup}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }))).status, 204);
    const [mail] = await t.testDb.db('outbox').where({ user_id: user.id, channel: 'email' });
    const person = webClient(t);
    const signedIn = await person.signIn('vanlig.ville', mail.secret);
    assert.equal(signedIn.headers.location, '/byt-engangslosenord');
    assert.equal((await person.get('/')).headers.location, '/byt-engangslosenord');
    const change = await person.get('/byt-engangslosenord');
    assert.match(change.text, /value="vanlig\.ville"/);

    const weak = await person.post('/byt-engangslosenord', { userName: 'vanlig.ville', oneTimePassword: mail.secret, newPassword: 'vanlig.ville', repeatPassword: 'vanlig.ville' });
    assert.equal(weak.status, 400);
    assert.match(weak.text, /minst en versal \(stor bokstav\); minst en siffra; får inte innehålla användarnamnet/);
    const mismatch = await person.post('/byt-engangslosenord', { userName: 'vanlig.ville', oneTimePassword: mail.secret, newPassword: 'Godkänt2026', repeatPassword: 'Godkänt2027' });
    assert.match(mismatch.text, /inte lika/);
    const done = await person.post('/byt-engangslosenord', { userName: 'vanlig.ville', oneTimePassword: mail.secret, newPassword: 'Godkänt2026', repeatPassword: 'Godkänt2026' });
    assert.equal(done.headers.location, '/logga-in?klart=bytt');

    const again = webClient(t);
    assert.equal((await again.signIn('vanlig.ville', 'Godkänt2026')).headers.location, '/');
    const start = await again.get('/');
    assert.equal(start.status, 200);
    assert.match(start.text, /inte behörighetsadministratör/);
    assert.equal((await again.get('/anvandare/ny')).headers.location, '/');
    assert.equal((await again.get('/anvandare.csv')).headers.location, '/');
  });

  it('never tells whether a username exists when a new password is ordered', async () => {
    const known = await web.post('/losenord/glomt', { userName: 'stina.studie' });
    const unknown = await web.post('/losenord/glomt', { userName: 'finns.inte.alls' });
    assert.equal(known.status, 200);
    assert.equal(unknown.status, 200);
    const message = (text: string) => /<div class="notice ok" role="status">(.*?)<\/div>/s.exec(text)![1];
    assert.equal(message(known.text), message(unknown.text));
  });

  it('shows 404 as a page to a browser, and another organisation\'s user as if it did not exist', async () => {
    const missing = await web.get('/finns-inte');
    assert.equal(missing.status, 404, `${missing.headers.location}`);
    assert.match(missing.headers['content-type'], /text\/html/);
    assert.match(missing.text, /Sidan finns inte/);
    const api = await t.http().get('/finns-inte');
    assert.match(api.headers['content-type'], /application\/scim\+json/, 'an API client still gets SCIM\'s 404');

    const elsewhere = await scimClient(t, komvux.id, 'operator');
    const stranger = await elsewhere.createUser('annan.skola');
    const hidden = await web.get(`/anvandare/${stranger.id}`);
    assert.equal(hidden.status, 404, `${hidden.headers.location}`);
    assert.doesNotMatch(hidden.text, /annan\.skola/);
    const notChanged = await web.post(`/anvandare/${stranger.id}/avsluta`, {});
    assert.equal(notChanged.status, 404);
    assert.equal((await elsewhere.get(`/Users/${stranger.id}`)).body.active, true);
    assert.equal((await web.get('/anvandare/inte-ett-id')).status, 404);
  });
});

describe('the web pages when something fails (SPEC §6.5)', () => {
  let t: TestApp;
  let web: WebClient;
  let org: Record<string, any>;
  before(async () => {
    t = await createTestApp({ authRateLimitPerMinute: 6, authRateLimitBurst: 3, publicUrl: WEB_ORIGIN });
    org = await t.createOrg({ name: 'Felskolan' });
    await createAdmin(t, org.id, 'fel.admin', PASSWORD);
    web = webClient(t);
  });
  after(() => t.close());

  it('limits signing in per client address together with /auth, with a page that says when to try again', async () => {
    // The clock stands still, so no allowance refills however slow the machine is.
    t.clock.now = new Date();
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await web.post('/logga-in', { userName: 'fel.admin', password: 'Gissning2026' })).status);
    statuses.push((await t.http().post('/auth/login').send({ userName: 'fel.admin', password: 'Gissning2026' })).status);
    assert.deepEqual(statuses, [401, 401, 401]);
    const limited = await web.post('/logga-in', { userName: 'fel.admin', password: PASSWORD });
    assert.equal(limited.status, 429);
    assert.match(limited.headers['content-type'], /text\/html/);
    assert.match(limited.headers['retry-after'], /^\d+$/);
    assert.match(limited.text, /För många försök från din adress\. Försök igen om \d+ sekunder\./);
  });

  it('shows Tillfälligt tekniskt fel with the request id, and nothing of the cause', async () => {
    t.clock.now = new Date(Date.now() + 3_600_000);
    try {
      const admin = webClient(t);
      assert.equal((await admin.signIn('fel.admin', PASSWORD)).status, 302);
      const user = await (await scimClient(t, org.id, 'operator')).createUser('trasig.historik');
      // The user's history cannot be read: a server error, not the admin's doing.
      await t.testDb.db.raw('alter table audit_events rename to audit_events_away');
      let res;
      try {
        res = await admin.get(`/anvandare/${user.id}`);
      } finally {
        await t.testDb.db.raw('alter table audit_events_away rename to audit_events');
      }
      assert.equal(res.status, 500);
      assert.match(res.headers['content-type'], /text\/html/);
      assert.match(res.text, /<h1>Tillfälligt tekniskt fel<\/h1>/);
      assert.match(res.text, new RegExp(`<code>${res.headers['x-request-id']}</code>`));
      assert.doesNotMatch(res.text, /audit_events|relation|stack|at /);
    } finally {
      t.clock.now = new Date();
    }
  });
});

describe('the web pages behind https (SPEC §6.5)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ publicUrl: 'https://idm.example.se' });
  });
  after(() => t.close());

  it('marks the cookies Secure, with the __Host- prefix, whenever the public address is https', async () => {
    const res = await t.http().get('/logga-in').set('Accept', 'text/html');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    assert.match(cookie, /^__Host-idm_csrf=/);
    assert.match(cookie, /secure/i);
    assert.match(cookie, /httponly/i);
    assert.match(cookie, /samesite=strict/i);
    assert.match(cookie, /path=\//);
  });
});
