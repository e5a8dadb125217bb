import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningServer } from '../../src/server.ts';
import { IDM, startCliServer, type CliServer } from '../helpers/cli-server.ts';
import { runFile, spawnServer } from '../helpers/child-process.ts';

describe('idm against a running server', () => {
  let dataDir: string;
  let server: RunningServer;
  let cli: CliServer;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    cli = await startCliServer('csn:test');
    ({ dataDir, server, env } = cli);
  });
  after(() => cli.stop());

  const idm = (...args: string[]) => cli.idm(...args);

  it('creates the signing key with mode 0600 on first start', () => {
    const mode = fs.statSync(path.join(dataDir, 'signing-key.json')).mode & 0o777;
    assert.equal(mode, 0o600);
  });

  it('creates an organisation, issues a token that SCIM accepts, lists and revokes it', async () => {
    const created = await idm('org', 'create', '--name', 'Exempelgymnasiet', '--type', 'school', '--school-form', 'gymnasieskola');
    const org = JSON.parse(created.stdout);
    assert.match(org.id, /^[0-9a-f-]{36}$/);
    assert.equal(org.schoolForm, 'gymnasieskola');

    const issued = await idm('token', 'issue', '--org', org.id, '--role', 'admin', '--subject', 'anna');
    const token = issued.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'only the token on stdout');

    const ok = await fetch(`${server.url}/scim/v2/ServiceProviderConfig`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const anonymous = await fetch(`${server.url}/scim/v2/ServiceProviderConfig`);
    assert.equal(anonymous.status, 401);

    const list = JSON.parse((await idm('token', 'list', '--json')).stdout);
    const row = list.find((r: { subject: string }) => r.subject === 'anna');
    assert.ok(row);
    await idm('token', 'revoke', row.jti);
    const after = await fetch(`${server.url}/scim/v2/ServiceProviderConfig`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401);

    const orgs = JSON.parse((await idm('org', 'list', '--json')).stdout);
    assert.ok(orgs.some((o: { id: string }) => o.id === org.id));
    const table = (await idm('org', 'list')).stdout;
    assert.match(table, /Exempelgymnasiet/);

    const updated = JSON.parse((await idm('org', 'update', org.id, '--active', 'false')).stdout);
    assert.equal(updated.active, false);
    const shown = JSON.parse((await idm('org', 'show', org.id)).stdout);
    assert.equal(shown.active, false);
  });

  it('prints the server refusal and exits non-zero on a bad request', async () => {
    await assert.rejects(idm('org', 'create', '--name', 'X', '--type', 'school'), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /needs a schoolForm/);
      return true;
    });
  });

  it('runs demo: three organisations with a token and curl line each', async () => {
    const out = (await idm('demo')).stdout;
    assert.equal((out.match(/^TOKEN=/gm) ?? []).length, 3);
    assert.match(out, /curl -H "Authorization: Bearer \$TOKEN"/);
  });

  it('says clearly when the server is not running', async () => {
    await assert.rejects(
      runFile(process.execPath, [IDM, 'org', 'list'], { env: { ...env, IDM_URL: 'http://127.0.0.1:9' } }),
      (err: { stderr: string }) => /not running at http:\/\/127\.0\.0\.1:9/.test(err.stderr),
    );
  });

  it('says clearly when the signing key is missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-nokey-'));
    await assert.rejects(
      runFile(process.execPath, [IDM, 'org', 'list'], { env: { ...env, DATA_DIR: empty } }),
      (err: { stderr: string }) => /no signing key/.test(err.stderr),
    );
  });

  it('stops on SIGTERM: stops listening, closes the database and exits 0', async () => {
    // On the test's database of the run's server, with a DATA_DIR of its own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-sig-'));
    const { child, url } = await spawnServer({ ...env, DATA_DIR: dir });
    try {
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      process.kill(child.pid, 'SIGTERM');
      const exit = await child.waitForExit();
      assert.equal(exit.code, 0, child.output());
      assert.match(child.output(), /"stopped"/);
      await assert.rejects(fetch(`${url}/healthz`), 'no longer listening');
    } finally {
      await child.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
