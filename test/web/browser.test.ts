import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, chromiumPath, launchBrowser, screenshot } from '../helpers/browser.ts';
import { startWebServer, type WebServer } from '../helpers/web-server.ts';
import { messageText } from '../helpers/smtp.ts';
import { waitUntil } from '../helpers/wait.ts';
import { recordSecret } from '../helpers/secrets.ts';
import { USER_SCHEMA } from '../helpers/scim.ts';

// Generous: the machine may be busy; every wait is for a state, never a guessed delay.
const PATIENCE = 120_000;
const ADMIN_PASSWORD = recordSecret('Rektorn2026Sa');
const noChromium = chromiumPath() === undefined ? 'Chromium is not installed (apt-get install chromium; .ci/run does it)' : false;

/** Fails naming every WCAG 2.1 AA violation axe-core finds in the page as it is now. */
async function assertAccessible(page: Page, state: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `axe-core in ${state}`);
}

/** Every page and state of the flow: checked by axe, and its screenshot written. */
async function look(page: Page, name: string): Promise<void> {
  await assertAccessible(page, name);
  await screenshot(page, name);
}

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<any> {
  const res = await fetch(url, { ...init, headers: { 'Content-Type': 'application/scim+json', ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

describe('the web pages in a real browser (SPEC §6.5)', { skip: noChromium }, () => {
  let server: WebServer;
  let browser: Browser;
  let school: { id: string };

  /** The e-mail the outbox sent to `address`, the `n`th (from 1) — waited for. */
  async function mailTo(address: string, n = 1): Promise<string> {
    let found: string | undefined;
    await waitUntil(() => {
      const mails = server.smtp.state.received.filter((m) => m.to.includes(address));
      found = mails[n - 1] && messageText(mails[n - 1].data);
      return found !== undefined;
    }, `e-mail ${n} to ${address}`, PATIENCE);
    return found!;
  }

  /** An operator's token for the organisation, made by `idm` like the operators make theirs. */
  const operatorToken = async (orgId: string) => (await server.idm('token', 'issue', '--role', 'operator', '--org', orgId, '--subject', 'op:webbtest', '--ttl', '1h')).trim();

  /** A user made by an operator (SCIM), then registered as admin with a declaration (`idm admin grant`): the first grant e-mails a one-time password. */
  async function makeAdmin(orgId: string, userName: string, email: string): Promise<string> {
    const token = await operatorToken(orgId);
    const user = await json(`${server.url}/scim/v2/Users`, { method: 'POST', token, body: JSON.stringify({ schemas: [USER_SCHEMA], userName, name: { givenName: 'Rut', familyName: 'Rektorsson' }, emails: [{ value: email, type: 'work' }] }) });
    await server.idm('admin', 'grant', '--org', orgId, '--user', user.id, '--reference', 'F-2026-7', '--signed-by', 'Rektor Rut', '--signed-by-title', 'rektor', '--signed-at', '2026-11-02');
    return user.id;
  }

  async function signIn(page: Page, userName: string, password: string): Promise<void> {
    await page.goto(`${server.url}/logga-in`);
    await page.getByLabel('Användarnamn').fill(userName);
    await page.getByLabel('Lösenord', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Logga in' }).click();
    await page.waitForURL(`${server.url}/`);
  }

  before(async () => {
    server = await startWebServer();
    try {
      browser = await launchBrowser();
    } catch (err) {
      await server.stop();
      throw err;
    }
    school = JSON.parse(await server.idm('org', 'create', '--name', 'Webbgymnasiet', '--type', 'school', '--school-form', 'gymnasieskola', '--postal-address', 'Box 7, 777 77 Skolstad'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('an admin made with idm changes the e-mailed one-time password, signs in and does every step of the handbook', async () => {
    await makeAdmin(school.id, 'rut.rektorsson', 'rut@webbgymnasiet.se');
    const mail = await mailTo('rut@webbgymnasiet.se');
    const otp = recordSecret(/Ditt engångslösenord till Mina tjänster \(Webbgymnasiet\) är: (\S+)/.exec(mail)![1]);
    const link = /Välj ditt lösenord här: (\S+)/.exec(mail)![1];
    assert.equal(link, `${server.url}/byt-engangslosenord`);

    const context = await browser.newContext({ acceptDownloads: true });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

      // Byt engångslösenord: a weak password shows every broken rule, live and from the server.
      await page.goto(link);
      await page.getByLabel('Användarnamn').fill('rut.rektorsson');
      await page.getByLabel('Engångslösenord').fill(otp);
      await page.getByLabel('Nytt lösenord', { exact: true }).fill('rut.rektorsson');
      await page.getByLabel('Upprepa nytt lösenord').fill('rut.rektorsson');
      assert.deepEqual(await page.locator('[data-password-rules] li.met').evaluateAll((items) => items.map((i) => i.getAttribute('data-rule'))), ['min-length', 'max-length', 'lower']);
      await look(page, 'byt-engangslosenord');
      await page.getByRole('button', { name: 'Byt lösenord' }).click();
      const refusal = await page.locator('#losenord-fel').textContent();
      assert.match(refusal!, /Det behöver: minst en versal \(stor bokstav\); minst en siffra; får inte innehålla användarnamnet\./);
      await look(page, 'byt-engangslosenord-fel');

      await page.getByLabel('Engångslösenord').fill(otp);
      await page.getByLabel('Nytt lösenord', { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByLabel('Upprepa nytt lösenord').fill(ADMIN_PASSWORD);
      assert.equal(await page.locator('[data-password-rules] li:not(.met)').count(), 0, 'every rule ticked as typed');
      await page.getByRole('button', { name: 'Byt lösenord' }).click();
      await page.waitForURL(/\/logga-in\?klart=bytt$/);
      await look(page, 'logga-in');

      await signIn(page, 'rut.rektorsson', ADMIN_PASSWORD);
      await page.getByRole('heading', { name: 'Användare', level: 1 }).waitFor();
      await look(page, 'anvandare');

      // Lägg till användare with Studietider och utbildningar; the form-only service is disabled here.
      await page.getByRole('link', { name: 'Lägg till användare' }).click();
      const formOnly = page.getByRole('checkbox', { name: 'Studeranderapportering' });
      assert.equal(await formOnly.isDisabled(), true);
      assert.match((await page.locator('#tjanst-studeranderapportering-skal').textContent())!, /blankett.*kontaktperson på CSN/);
      assert.equal(await page.locator('#ingen-tjanst').isVisible(), true, 'no service ticked: the warning shows');
      await look(page, 'lagg-till-anvandare');
      await page.getByLabel('Förnamn').fill('Selma');
      await page.getByLabel('Efternamn').fill('Studie');
      await page.getByLabel('E-postadress').fill('selma@webbgymnasiet.se');
      await page.getByLabel('Användarnamn').fill('selma.studie');
      await page.getByRole('checkbox', { name: 'Studietider och utbildningar' }).check();
      assert.equal(await page.locator('#ingen-tjanst').isVisible(), false, 'a service ticked: the warning goes');
      await page.getByRole('button', { name: 'Spara användaren' }).click();
      await page.waitForURL(/\/anvandare\/[0-9a-f-]+\?klart=skapad$/);
      assert.match((await page.locator('#klart').textContent())!, /Ett brev med användarnamnet skickas.*selma@webbgymnasiet\.se/s);
      await look(page, 'anvandare-skapad');
      const userUrl = page.url().replace(/\?.*$/, '');
      assert.equal(await page.locator('#anvandarnamn').textContent(), 'selma.studie');
      await mailTo('selma@webbgymnasiet.se');

      // The same username again: refused with the words next to the username, nothing saved.
      await page.getByRole('link', { name: 'Lägg till användare' }).click();
      await page.getByLabel('Förnamn').fill('Selma');
      await page.getByLabel('Efternamn').fill('Dubblett');
      await page.getByLabel('E-postadress').fill('dubblett@webbgymnasiet.se');
      await page.getByLabel('Användarnamn').fill('selma.studie');
      await page.getByRole('button', { name: 'Spara användaren' }).click();
      await page.locator('#falt-userName-fel').waitFor();
      assert.match((await page.locator('#falt-userName-fel').textContent())!, /selma\.studie.*already taken|upptaget|taken/);
      await look(page, 'lagg-till-anvandare-fel');

      // Change the user's e-mail address, then order a one-time password: it goes to the new address.
      await page.goto(userUrl);
      await page.getByLabel('E-postadress').fill('selma.ny@webbgymnasiet.se');
      await page.getByRole('button', { name: 'Spara uppgifterna' }).click();
      await page.waitForURL(/klart=uppgifter$/);
      await page.getByRole('button', { name: 'Beställ engångslösenord' }).click();
      await page.waitForURL(/klart=engangslosenord$/);
      assert.match(await mailTo('selma.ny@webbgymnasiet.se'), /Ditt engångslösenord/);
      await look(page, 'en-anvandare');

      // Ta ut lista med användare: the CSV, with the new address.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Ta ut lista med användare' }).click()]);
      const csv = fs.readFileSync((await download.path())!, 'utf8');
      const rows = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
      assert.equal(rows[0], 'userName;givenName;familyName;email;active;services;credentialStatus;created;lastModified');
      assert.ok(rows.some((r) => r.startsWith('selma.studie;Selma;Studie;selma.ny@webbgymnasiet.se;true;Studietider och utbildningar;pending;')), csv);
      assert.ok(rows.some((r) => r.startsWith('rut.rektorsson;')));

      // Ask CSN to end the user, then take it back.
      await page.getByRole('button', { name: 'Inaktivera och begär avslut' }).click();
      await page.waitForURL(/klart=avslut$/);
      assert.equal(await page.locator('dt:has-text("Status") + dd').textContent(), 'Avslut begärt');
      await look(page, 'avslut-begart');
      await page.getByRole('button', { name: 'Ångra begäran om avslut' }).click();
      await page.waitForURL(/klart=angrat$/);
      assert.equal(await page.locator('dt:has-text("Status") + dd').textContent(), 'Aktiv');

      await page.getByRole('link', { name: 'Behörighetsadministratörer' }).click();
      assert.equal(await page.getByRole('link', { name: 'rut.rektorsson' }).count(), 1);
      await look(page, 'behorighetsadministratorer');

      await page.goto(`${server.url}/finns-inte`);
      await look(page, 'sidan-finns-inte');
      await page.goto(`${server.url}/losenord`);
      await look(page, 'andra-eller-bestall-losenord');

      await page.goto(`${server.url}/`);
      await page.getByRole('button', { name: 'Logga ut' }).click();
      await page.waitForURL(/\/utloggad$/);
      await look(page, 'utloggad');
      assert.deepEqual(errors.filter((e) => !/status of 40[0-9]/.test(e)), [], 'no script errors');
    } finally {
      await context.close();
    }
  });

  it('adds a user with the keyboard alone', async () => {
    await makeAdmin(school.id, 'tangent.tina', 'tina@webbgymnasiet.se');
    const otp = recordSecret(/är: (\S+)/.exec(await mailTo('tina@webbgymnasiet.se'))![1]);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // The one-time password signs in to the password change only.
      await page.goto(`${server.url}/logga-in`);
      await page.getByLabel('Användarnamn').fill('tangent.tina');
      await page.getByLabel('Lösenord', { exact: true }).fill(otp);
      await page.getByRole('button', { name: 'Logga in' }).click();
      await page.waitForURL(/\/byt-engangslosenord$/);
      await page.getByLabel('Engångslösenord').fill(otp);
      await page.getByLabel('Nytt lösenord', { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByLabel('Upprepa nytt lösenord').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Byt lösenord' }).click();
      await page.waitForURL(/klart=bytt$/);
      await signIn(page, 'tangent.tina', ADMIN_PASSWORD);

      await page.goto(`${server.url}/anvandare/ny`);
      const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || '');
      const tabTo = async (target: string) => {
        for (let i = 0; i < 40 && (await focused()) !== target; i++) await page.keyboard.press('Tab');
        assert.equal(await focused(), target, `Tab reaches ${target}`);
      };
      await tabTo('falt-givenName');
      await page.keyboard.type('Kalle');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Tangent');
      await page.keyboard.press('Tab');
      await page.keyboard.type('kalle@webbgymnasiet.se');
      await page.keyboard.press('Tab');
      await page.keyboard.type('kalle.tangent');
      await tabTo('tjanst-studietider-och-utbildningar');
      await page.keyboard.press('Space');
      await tabTo('Spara användaren');
      await page.keyboard.press('Enter');
      await page.waitForURL(/klart=skapad$/);
      assert.equal(await page.locator('#anvandarnamn').textContent(), 'kalle.tangent');
      assert.match((await page.locator('#klart').textContent())!, /kalle@webbgymnasiet\.se/);
    } finally {
      await context.close();
    }
  });

  it('shows the network banner while the browser is offline and hides it when the network is back', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, 'rut.rektorsson', ADMIN_PASSWORD);
      const banner = page.getByRole('status').filter({ hasText: 'Problem med nätverket' });
      assert.equal(await banner.isVisible(), false);
      await context.setOffline(true);
      await banner.waitFor({ state: 'visible', timeout: PATIENCE });
      assert.match((await banner.textContent())!, /Problem med nätverket — Inget internet\. Kontrollera din nätverksanslutning\./);
      assert.equal(await banner.getAttribute('aria-live'), 'polite');
      await look(page, 'natverksproblem');
      await context.setOffline(false);
      await banner.waitFor({ state: 'hidden', timeout: PATIENCE });
    } finally {
      await context.close();
    }
  });

  it('with a short idle timeout: the dialog in every tab, Stanna kvar keeps the session in all, doing nothing signs all out', async () => {
    // A second server process on the same database with an idle timeout of seconds (SESSION_IDLE_SECONDS).
    const short = await server.sibling({ sessionIdleSeconds: 40, sessionWarningSeconds: 25 });
    const context = await browser.newContext();
    try {
      const first = await context.newPage();
      await first.goto(`${short.url}/logga-in`);
      await first.getByLabel('Användarnamn').fill('rut.rektorsson');
      await first.getByLabel('Lösenord', { exact: true }).fill(ADMIN_PASSWORD);
      await first.getByRole('button', { name: 'Logga in' }).click();
      await first.waitForURL(`${short.url}/`);
      const second = await context.newPage();
      await second.goto(`${short.url}/administratorer`);

      // Focus something, so the dialog has somewhere to return it.
      await first.getByLabel('Sök på namn, användarnamn eller e-post').focus();
      const dialogs = [first, second].map((p) => p.getByRole('alertdialog', { name: 'Vill du stanna kvar på sidan?' }));
      await Promise.all(dialogs.map((d) => d.waitFor({ state: 'visible', timeout: PATIENCE })));
      assert.match((await dialogs[0].textContent())!, /Du har varit inaktiv i en längre stund och kommer att bli utloggad om du inte väljer att stanna kvar på sidan\./);
      assert.match((await dialogs[0].textContent())!, /Automatisk utloggning sker om cirka \d+ (sekunder|minut|minuter)\./);
      assert.equal(await first.evaluate(() => document.activeElement?.id), 'stanna', 'the dialog takes focus');
      await look(first, 'inaktivitet');

      await first.getByRole('button', { name: 'Stanna kvar på sidan' }).click();
      await Promise.all(dialogs.map((d) => d.waitFor({ state: 'hidden', timeout: PATIENCE })));
      assert.equal(await first.evaluate(() => document.activeElement?.id), 'sok', 'and gives it back');

      // Doing nothing more: both tabs end up signed out, and the page says why.
      for (const page of [first, second]) await page.waitForURL(/\/utloggad\?orsak=inaktiv$/, { timeout: PATIENCE * 2 });
      assert.match((await first.locator('#utloggad-besked').textContent())!, /loggats ut automatiskt/);
      await look(first, 'utloggad-inaktiv');
      await first.goto(`${short.url}/`);
      assert.equal(new URL(first.url()).pathname, '/logga-in', 'the session is over on the server too');
    } finally {
      await context.close();
    }
  });

  it('signing out in one tab signs out the others', async () => {
    const context = await browser.newContext();
    try {
      const first = await context.newPage();
      await signIn(first, 'rut.rektorsson', ADMIN_PASSWORD);
      const second = await context.newPage();
      await second.goto(`${server.url}/administratorer`);
      await first.getByRole('button', { name: 'Logga ut' }).click();
      await second.waitForURL(/\/utloggad(\?orsak=\w+)?$/, { timeout: PATIENCE });
      await second.locator('#utloggad-besked').waitFor();
      await second.goto(`${server.url}/`);
      assert.equal(new URL(second.url()).pathname, '/logga-in');
    } finally {
      await context.close();
    }
  });

  it('at a komvux that reports by file, the same service can be ticked', async () => {
    const komvux = JSON.parse(await server.idm('org', 'create', '--name', 'Filkomvux', '--type', 'school', '--school-form', 'komvux', '--reports-via-file', '--postal-address', 'Box 9'));
    const token = await operatorToken(komvux.id);
    // An operator may set a password (SPEC §3.4): this admin skips the e-mail.
    const user = await json(`${server.url}/scim/v2/Users`, { method: 'POST', token, body: JSON.stringify({ schemas: [USER_SCHEMA], userName: 'komvux.kerstin', password: ADMIN_PASSWORD, emails: [{ value: 'kerstin@komvux.se', type: 'work' }] }) });
    await server.idm('admin', 'grant', '--org', komvux.id, '--user', user.id, '--reference', 'F-9', '--signed-by', 'Rektor K', '--signed-by-title', 'rektor', '--signed-at', '2026-11-02');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, 'komvux.kerstin', ADMIN_PASSWORD);
      await page.goto(`${server.url}/anvandare/ny`);
      const box = page.getByRole('checkbox', { name: 'Studeranderapportering' });
      assert.equal(await box.isEnabled(), true);
      await page.getByLabel('Förnamn').fill('Karin');
      await page.getByLabel('Efternamn').fill('Komvux');
      await page.getByLabel('E-postadress').fill('karin@komvux.se');
      await page.getByLabel('Användarnamn').fill('karin.komvux');
      await box.check();
      await page.getByRole('button', { name: 'Spara användaren' }).click();
      await page.waitForURL(/klart=skapad$/);
      await page.getByRole('checkbox', { name: 'Studeranderapportering' }).waitFor();
      assert.equal(await page.getByRole('checkbox', { name: 'Studeranderapportering' }).isChecked(), true);
    } finally {
      await context.close();
    }
  });

  it('the accessibility check finds a violation when there is one (so its silence on the pages means something)', async () => {
    const page = await browser.newPage();
    try {
      await page.setContent('<!DOCTYPE html><html><head><title>Prov</title></head><body><main><input type="text"></main></body></html>');
      const violations = await axeViolations(page);
      assert.ok(violations.some((v) => v.id === 'label' || v.id === 'html-has-lang'), JSON.stringify(violations.map((v) => v.id)));
    } finally {
      await page.close();
    }
  });

  it('shows a user named with HTML as text', async () => {
    const token = await operatorToken(school.id);
    await json(`${server.url}/scim/v2/Users`, { method: 'POST', token, body: JSON.stringify({ schemas: [USER_SCHEMA], userName: 'xss.test', name: { givenName: '<script>window.pwned=1</script>', familyName: '<b>Fet</b>' } }) });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, 'rut.rektorsson', ADMIN_PASSWORD);
      await page.goto(`${server.url}/?sok=xss.test`);
      const link = page.getByRole('link', { name: '<script>window.pwned=1</script> <b>Fet</b>' });
      assert.equal(await link.count(), 1, 'the name reads as written');
      assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'and runs nothing');
      assert.equal(await page.locator('main b').count(), 0);
    } finally {
      await context.close();
    }
  });
});
