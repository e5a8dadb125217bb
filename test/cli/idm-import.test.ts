import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningServer } from '../../src/server.ts';
import { startCliServer, type CliServer } from '../helpers/cli-server.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { USER_SCHEMA } from '../helpers/scim.ts';
import { IMPORT_MAX_ROWS } from '../../src/domain/user-import.ts';

const BOM = '\uFEFF';

interface Summary {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  refused: number;
  rules: string;
  refusals: { line: number; userName: string; status?: number; reason: string }[];
}

describe('idm import FILE.csv against a running server (SPEC §6.4)', () => {
  let dataDir: string;
  let server: RunningServer;
  let cli: CliServer;
  let orgId: string;
  let provisioner: string;

  before(async () => {
    cli = await startCliServer('csn:importer');
    ({ dataDir, server } = cli);
    // A gymnasieskola: Studeranderapportering is form-only there (SPEC §3.2).
    orgId = JSON.parse((await idm('org', 'create', '--name', 'Importgymnasiet', '--type', 'school', '--school-form', 'gymnasieskola', '--postal-address', 'Skolvägen 1')).stdout).id;
    provisioner = (await idm('token', 'issue', '--org', orgId, '--role', 'provisioner', '--subject', 'hr-sync')).stdout.trim();
    // A userName held by another organisation.
    const municipality = JSON.parse((await idm('org', 'create', '--name', 'Importkommunen', '--type', 'municipality')).stdout).id;
    const other = (await idm('token', 'issue', '--org', municipality, '--role', 'provisioner', '--subject', 'kommun-sync')).stdout.trim();
    assert.equal((await scim(other, 'POST', '/Users', { schemas: [USER_SCHEMA], userName: 'upptagen@kommun.se' })).status, 201);
  });
  after(() => cli.stop());

  const idm = (...args: string[]) => cli.idm(...args);
  const csv = (name: string, content: string | Buffer) => {
    const file = path.join(dataDir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const importJson = async (file: string, ...args: string[]): Promise<Summary> => JSON.parse((await idm('import', '--org', orgId, file, '--json', ...args)).stdout);
  const scim = async (token: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${server.url}/scim/v2${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/scim+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  };
  const findUser = async (userName: string) => {
    const res = await scim(provisioner, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    assert.equal(res.status, 200);
    return res.body.Resources[0] as Record<string, any> | undefined;
  };
  const servicesOf = (user: Record<string, any>) => ((user.groups ?? []) as { display: string }[]).map((g) => g.display).sort();
  const refusal = (summary: Summary, line: number) => summary.refusals.find((r) => r.line === line);

  it('creates users from a ";" file with a BOM, grants services, and refuses bad rows with reasons while the rest go in', async () => {
    const file = csv('first.csv', BOM + [
      'userName;givenName;familyName;email;externalId;active;services',
      'anna.import@skola.se;Anna;Andersson;anna.import@skola.se;hr-1;true;studietider-och-utbildningar',
      'bo.import@skola.se;Bo;Berg;bo.import@skola.se;hr-2;;',
      ';Namnlös;Person;ingen@skola.se;;;',
      'cilla.import@skola.se;Cilla;C;inte-en-adress;;;',
      'UPPTAGEN@kommun.se;Upp;Tagen;upptagen@skola.se;;;',
      'dan.import@skola.se;Dan;D;dan.import@skola.se;;;behorighetsadministrator',
      'eva.import@skola.se;Eva;E;;;;Studietider och utbildningar',
      'fia.import@skola.se;Fia;F;fia.import@skola.se;;ja;',
      'gus.import@skola.se;Gus;G;gus.import@skola.se;;;studiestartsstod',
      'hugo.import@skola.se;Hugo;H;hugo.import@skola.se;hr-1;;',
      ';;;;;;',
      '',
      'ines.import@skola.se;Ines;I;ines.import@skola.se;;false;Studietider och utbildningar|studeranderapportering',
      'jon.import@skola.se;Jon;J;jon.import@skola.se;;nej;',
    ].join('\r\n') + '\r\n');

    const summary = await importJson(file);
    assert.deepEqual({ rows: summary.rows, created: summary.created, updated: summary.updated, refused: summary.refused }, { rows: 12, created: 3, updated: 0, refused: 9 });
    assert.equal(summary.rules, 'operator');
    assert.match(refusal(summary, 4)!.reason, /userName is required/);
    assert.match(refusal(summary, 5)!.reason, /"inte-en-adress" is not an e-mail address/);
    assert.deepEqual([refusal(summary, 6)!.status, refusal(summary, 6)!.reason], [409, 'userName "UPPTAGEN@kommun.se" is already taken']);
    assert.equal(refusal(summary, 7)!.status, 403);
    assert.match(refusal(summary, 7)!.reason, /Behörighetsadministratör kan bara ändras av CSN efter en undertecknad försäkran/);
    assert.equal(refusal(summary, 8)!.status, 400);
    assert.match(refusal(summary, 8)!.reason, /ingen e-postadress/);
    assert.match(refusal(summary, 9)!.reason, /active must be true or false, not "ja"/);
    assert.match(refusal(summary, 10)!.reason, /service "studiestartsstod" is not offered to this organisation/);
    assert.deepEqual([refusal(summary, 11)!.status, refusal(summary, 11)!.reason], [409, 'externalId "hr-1" is already used in this organisation']);
    assert.match(refusal(summary, 15)!.reason, /not "nej"/, 'lines after empty ones keep their numbers');
    assert.deepEqual(summary.refusals.map((r) => r.line), [4, 5, 6, 7, 8, 9, 10, 11, 15]);

    const anna = (await findUser('anna.import@skola.se'))!;
    assert.deepEqual(anna.name, { givenName: 'Anna', familyName: 'Andersson' });
    assert.deepEqual(anna.emails, [{ value: 'anna.import@skola.se', type: 'work', primary: true }]);
    assert.equal(anna.externalId, 'hr-1');
    assert.deepEqual(servicesOf(anna), ['Studietider och utbildningar']);
    assert.deepEqual(servicesOf((await findUser('bo.import@skola.se'))!), []);
    // Operator rules: a form-only service is granted (the operator holds the paper form).
    const ines = (await findUser('ines.import@skola.se'))!;
    assert.equal(ines.active, false);
    assert.deepEqual(servicesOf(ines), ['Studeranderapportering', 'Studietider och utbildningar']);
    // A refused row leaves nothing behind, not even when its user was written before the refused grant.
    for (const userName of ['dan.import@skola.se', 'eva.import@skola.se', 'cilla.import@skola.se', 'fia.import@skola.se', 'gus.import@skola.se', 'hugo.import@skola.se']) {
      assert.equal(await findUser(userName), undefined, userName);
    }
  });

  it('updates users matched by userName case-insensitively from a "," file; empty cells keep what is stored; a second run changes nothing', async () => {
    const file = csv('update.csv', [
      'UserName,GivenName,EMAIL,Active,services',
      'ANNA.IMPORT@skola.se,Annika,,false,',
      'bo.import@skola.se,,bo.ny@skola.se,,studietider-och-utbildningar',
      'ny.import@skola.se,Ny,,,',
    ].join('\n') + '\n');
    const first = await importJson(file);
    assert.deepEqual([first.created, first.updated, first.unchanged, first.refused], [1, 2, 0, 0]);

    const anna = (await findUser('anna.import@skola.se'))!;
    assert.equal(anna.userName, 'anna.import@skola.se', 'the stored spelling of the userName is kept');
    assert.deepEqual(anna.name, { givenName: 'Annika', familyName: 'Andersson' });
    assert.equal(anna.active, false);
    assert.equal(anna.externalId, 'hr-1');
    assert.deepEqual(servicesOf(anna), ['Studietider och utbildningar'], 'services are granted, never taken away');
    const bo = (await findUser('bo.import@skola.se'))!;
    assert.deepEqual(bo.emails, [{ value: 'bo.ny@skola.se', type: 'work', primary: true }]);
    assert.deepEqual(servicesOf(bo), ['Studietider och utbildningar']);

    const second = await importJson(file);
    assert.deepEqual([second.created, second.updated, second.unchanged, second.refused], [0, 0, 3, 0]);
    assert.equal((await findUser('anna.import@skola.se'))!.meta.version, anna.meta.version);
  });

  it('refuses a form-only service under --rules provisioner, as SCIM refuses a school\'s own client', async () => {
    const file = csv('provisioner.csv', 'userName;email;services\nform.prov@skola.se;form.prov@skola.se;Studeranderapportering\nvanlig.prov@skola.se;vanlig.prov@skola.se;studietider-och-utbildningar\n');
    const summary = await importJson(file, '--rules', 'provisioner');
    assert.equal(summary.rules, 'provisioner');
    assert.deepEqual([summary.created, summary.refused], [1, 1]);
    assert.equal(refusal(summary, 2)!.status, 403);
    assert.match(refusal(summary, 2)!.reason, /ges på blankett/);
    assert.equal(await findUser('form.prov@skola.se'), undefined);
    assert.deepEqual(servicesOf((await findUser('vanlig.prov@skola.se'))!), ['Studietider och utbildningar']);
  });

  it('prints a readable summary: counts, then refused rows by line (quoted fields, duplicates, misaligned rows)', async () => {
    const file = csv('summary.csv', [
      'userName,email,services',
      '"quote.a@skola.se",quote.a@skola.se,"studietider-och-utbildningar, Studeranderapportering"',
      'Quote.A@skola.se,annan@skola.se,',
      'too.many@skola.se,a@skola.se,,extra',
      'multi@skola.se,"inte',
      'en adress",',
      'sist@skola.se,sist@skola.se,',
    ].join('\r\n'));
    const { stdout, stderr } = await idm('import', '--org', orgId, file);
    assert.match(stdout, /summary\.csv: 5 rows in [\d.]+ s \(\d+ rows\/s\)/);
    assert.match(stdout, /created 2, updated 0, unchanged 0, refused 3/);
    assert.match(stdout, /line 3 \(Quote\.A@skola\.se\): userName "Quote\.A@skola\.se" appears earlier in the file \(line 2\)/);
    assert.match(stdout, /line 4 \(too\.many@skola\.se\): the row has 4 fields where the header has 3/);
    assert.match(stdout, /line 5 \(multi@skola\.se\): email "inte\r?\nen adress" is not an e-mail address/, 'a quoted field spanning lines is reported at the line it starts on');
    assert.match(stderr, /import: 100% \(5\/5 rows/, 'without a terminal, progress is a line per tenth on stderr');
    assert.deepEqual(servicesOf((await findUser('quote.a@skola.se'))!), ['Studeranderapportering', 'Studietider och utbildningar']);
    assert.ok(await findUser('sist@skola.se'));
  });

  it('imports the user list the server exports (GET /api/v1/users.csv) as it is: nothing changes', async () => {
    const admin = (await idm('token', 'issue', '--org', orgId, '--role', 'admin', '--subject', 'anna')).stdout.trim();
    const res = await fetch(`${server.url}/api/v1/users.csv`, { headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    const file = csv('export.csv', Buffer.from(await res.arrayBuffer()));
    const summary = await importJson(file);
    assert.equal(summary.rows, 7);
    assert.deepEqual([summary.created, summary.updated, summary.refused], [0, 0, 0]);
    assert.equal(summary.unchanged, summary.rows);
  });

  it('refuses the whole file before sending anything: unknown column, no userName column, not UTF-8, open quote', async () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['unknown.csv', 'userName;phone;email\nokand@skola.se;070;okand@skola.se\n', /unknown column "phone"; the columns are userName, givenName/],
      ['nouser.csv', 'email,givenName\nx@skola.se,X\n', /no userName column/],
      ['latin1.csv', Buffer.concat([Buffer.from('userName;givenName\nlatin@skola.se;'), Buffer.from([0xc5]), Buffer.from('sa\n')]), /not UTF-8 text \(line 2\).*Nothing was imported/s],
      ['quote.csv', 'userName;givenName\nquote.open@skola.se;"Öppen\nnext@skola.se;N\n', /Quote Not Closed.*Nothing was imported/s],
    ];
    for (const [name, content, message] of cases) {
      await assert.rejects(idm('import', '--org', orgId, csv(name, content)), (err: { code: number; stderr: string; stdout: string }) => {
        assert.equal(err.code, 1, name);
        assert.match(err.stderr, message, name);
        assert.equal(err.stdout, '', name);
        return true;
      });
    }
    assert.equal(await findUser('okand@skola.se'), undefined);
    assert.equal(await findUser('latin@skola.se'), undefined);
    assert.equal(await findUser('quote.open@skola.se'), undefined);
  });

  it('exits 1 when the file is missing or the organisation does not exist', async () => {
    await assert.rejects(idm('import', '--org', orgId, path.join(dataDir, 'nope.csv')), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /cannot read .*nope\.csv/);
      return true;
    });
    const file = csv('someone.csv', 'userName\nsomeone@skola.se\n');
    await assert.rejects(idm('import', '--org', '00000000-0000-4000-8000-000000000000', file), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /404: no organisation/);
      return true;
    });
  });

  it('sends large files in batches, several at a time, and counts every row once', async () => {
    const rows = Array.from({ length: 1234 }, (_, i) => `batch${i}@skola.se;batch${i}@skola.se;${i % 3 === 0 ? '' : 'true'}`);
    rows[700] = 'batch700@skola.se;fel-adress;';
    const summary = await importJson(csv('batches.csv', ['userName;email;active', ...rows].join('\n')), '--batch-size', '100', '--concurrency', '3');
    assert.deepEqual([summary.rows, summary.created, summary.refused], [1234, 1233, 1]);
    assert.equal(summary.refusals[0].line, 702);
    const list = await scim(provisioner, 'GET', `/Users?filter=${encodeURIComponent('userName sw "batch"')}&count=1`);
    assert.equal(list.body.totalResults, 1233);
  });
});

describe('POST /admin/v1/organisations/{id}/import', () => {
  let t: TestApp;
  let orgId: string;
  let op: string;

  before(async () => {
    t = await createTestApp();
    orgId = (await t.createOrg({ name: 'Batchskolan', schoolForm: 'komvux', reportsViaFile: true })).id;
    op = await t.operatorToken();
  });
  after(() => t.close());

  const post = (body: unknown, token = op, id = orgId) =>
    t.http().post(`/admin/v1/organisations/${id}/import`).set('Authorization', `Bearer ${token}`).send(body as object);
  const count = async (table: string, where: Record<string, unknown> = {}) => Number((await t.testDb.db(table).where(where).count({ n: '*' }))[0].n);

  it('answers one result per row, in order, with the counts', async () => {
    const res = await post({
      rows: [
        { line: 2, userName: 'ett@batch.se', givenName: 'Ett', email: 'ett@batch.se', services: ['studietider-och-utbildningar', 'Studeranderapportering'] },
        { line: 3, userName: 'två@batch.se', active: 'false' },
        { line: 4, email: 'tre@batch.se' },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.created, res.body.updated, res.body.unchanged, res.body.refused], [2, 0, 0, 1]);
    assert.deepEqual(res.body.results.map((r: { line: number; outcome: string }) => [r.line, r.outcome]), [[2, 'created'], [3, 'created'], [4, 'refused']]);
    assert.match(res.body.results[0].id, /^[0-9a-f-]{36}$/);
    assert.deepEqual([res.body.results[2].status, res.body.results[2].reason], [400, 'userName is required']);
    // The first grant issued credentials (SPEC §3.4): a letter and an e-mail in the outbox.
    assert.equal(await count('outbox', { org_id: orgId }), 2);
    const audit = await t.testDb.db('audit_events').where({ org_id: orgId }).whereNot('action', 'organisation.create').select('action', 'actor_role', 'actor_subject', 'request_id');
    assert.deepEqual(audit.map((a) => a.action).sort(), ['credentials.issue', 'group.members', 'group.members', 'user.create', 'user.create']);
    assert.ok(audit.every((a) => a.actor_role === 'operator' && a.actor_subject === 'operator-tester' && a.request_id === audit[0].request_id));
  });

  it('writes the rows around a refused one once each, and leaves nothing of the refused row', async () => {
    const auditBefore = await count('audit_events', { org_id: orgId, action: 'user.create' });
    const rows = Array.from({ length: 30 }, (_, i) => ({ line: i + 2, userName: `runt${i}@batch.se`, externalId: `ext-${i}` }));
    // Refused only when written: the same externalId as an earlier row of the batch (a unique index).
    rows[10].externalId = 'ext-3';
    rows[20].userName = 'x'.repeat(300);
    const res = await post({ rows });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.created, res.body.refused], [28, 2]);
    assert.deepEqual(res.body.results.filter((r: { outcome: string }) => r.outcome === 'refused').map((r: { line: number; status: number }) => [r.line, r.status]), [[12, 409], [22, 400]]);
    assert.equal(await count('audit_events', { org_id: orgId, action: 'user.create' }), auditBefore + 28, 'rolled-back attempts leave no audit events');
    assert.equal(await count('users', { org_id: orgId, external_id: 'ext-10' }), 0);
    assert.equal(await count('user_names', { lower_name: 'runt10@batch.se' }), 0, 'no userName registered for the refused row');
    assert.equal(await count('users', { org_id: orgId, external_id: 'ext-3' }), 1);
  });

  it('is safe when two batches with the same userNames arrive at once: each name is one user', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ line: i + 2, userName: `samtidig${i}@batch.se`, givenName: 'Samtidig' }));
    const [a, b] = await Promise.all([post({ rows }), post({ rows: [...rows].reverse() })]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const outcomes = [...a.body.results, ...b.body.results];
    assert.equal(outcomes.filter((r: { outcome: string }) => r.outcome === 'created').length, 40);
    for (const r of outcomes) assert.ok(['created', 'unchanged', 'refused'].includes(r.outcome), JSON.stringify(r));
    for (const r of outcomes.filter((o: { outcome: string }) => o.outcome === 'refused')) assert.equal(r.status, 409);
    assert.equal(await count('users', { org_id: orgId }), await count('user_names', { org_id: orgId }));
    assert.equal(Number((await t.testDb.db('users').where({ org_id: orgId }).whereLike('user_name', 'samtidig%').count({ n: '*' }))[0].n), 40);
  });

  it('applies provisioner rules when asked: deactivating a user opens a termination request', async () => {
    const created = await post({ rows: [{ line: 2, userName: 'avslutas@batch.se' }] });
    assert.equal(created.body.created, 1);
    const res = await post({ rules: 'provisioner', rows: [{ line: 2, userName: 'AVSLUTAS@batch.se', active: 'false' }] });
    assert.equal(res.body.updated, 1);
    const request = await t.testDb.db('termination_requests').where({ org_id: orgId, user_id: created.body.results[0].id }).first();
    assert.equal(request?.status, 'open');
    assert.equal(request?.opened_by_role, 'provisioner');
  });

  it('refuses a malformed request whole', async () => {
    const bad: [unknown, RegExp][] = [
      [{ rows: [] }, /rows must be an array of 1 to 1000 rows/],
      [{ rows: Array.from({ length: IMPORT_MAX_ROWS + 1 }, (_, i) => ({ line: i + 2, userName: `u${i}` })) }, /rows must be an array/],
      [{ rows: [{ line: 2, userName: 'a', phone: '070' }] }, /rows\[0\]: unknown attribute "phone"/],
      [{ rows: [{ line: 0, userName: 'a' }] }, /line must be a positive whole number/],
      [{ rows: [{ line: 2, userName: 7 }] }, /userName must be a string/],
      [{ rows: [{ line: 2, userName: 'a', services: 'x' }] }, /services must be an array of strings/],
      [{ rules: 'admin', rows: [{ line: 2, userName: 'a' }] }, /rules must be one of operator, provisioner/],
    ];
    for (const [body, detail] of bad) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match(res.body.detail, detail);
    }
    assert.equal((await post({ rows: [{ line: 2, userName: 'a' }] }, op, '00000000-0000-4000-8000-000000000000')).status, 404);
    const provisioner = await t.token('provisioner', orgId);
    assert.equal((await post({ rows: [{ line: 2, userName: 'a' }] }, provisioner)).status, 403);
  });
});
