import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/server.ts';
import { startCliServer, type CliServer } from '../helpers/cli-server.ts';
import { USER_SCHEMA, PATCH_OP } from '../helpers/scim.ts';

describe('idm admin, terminations, purge and outbox against a running server', () => {
  let server: RunningServer;
  let cli: CliServer;
  let orgId: string;
  let provisioner: string;
  let admin: string;

  before(async () => {
    cli = await startCliServer('csn:olle');
    ({ server } = cli);
    orgId = JSON.parse((await idm('org', 'create', '--name', 'Terminalskolan', '--type', 'school', '--school-form', 'hogskola', '--postal-address', 'Skolvägen 1')).stdout).id;
    provisioner = (await idm('token', 'issue', '--org', orgId, '--role', 'provisioner', '--subject', 'hr-sync')).stdout.trim();
    admin = (await idm('token', 'issue', '--org', orgId, '--role', 'admin', '--subject', 'anna')).stdout.trim();
  });
  after(() => cli.stop());

  const idm = (...args: string[]) => cli.idm(...args);

  const scim = async (token: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${server.url}/scim/v2${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/scim+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  };
  const createUser = async (userName: string) => {
    const res = await scim(provisioner, 'POST', '/Users', { schemas: [USER_SCHEMA], userName, emails: [{ value: `${userName}@example.se`, type: 'work' }] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  it('grants, lists and revokes an administrator with its declaration', async () => {
    const userId = await createUser('cli.admin');
    const granted = JSON.parse((await idm('admin', 'grant', '--org', orgId, '--user', userId, '--reference', 'CSN-1', '--signed-by', 'Rut Rektorsson', '--signed-by-title', 'rektor', '--signed-at', '2026-01-15')).stdout);
    assert.equal(granted.userId, userId);
    assert.equal(granted.grantedBy, 'csn:olle');

    const listed = JSON.parse((await idm('admin', 'list', '--org', orgId, '--json')).stdout);
    assert.deepEqual(listed.map((a: { userName: string }) => a.userName), ['cli.admin']);
    assert.equal(listed[0].signedAt, '2026-01-15');
    assert.match((await idm('admin', 'list', '--org', orgId)).stdout, /cli\.admin.*CSN-1/s);

    assert.match((await idm('admin', 'revoke', '--org', orgId, '--user', userId)).stdout, /revoked/);
    assert.deepEqual(JSON.parse((await idm('admin', 'list', '--org', orgId, '--json')).stdout), []);
    assert.equal((await idm('admin', 'list', '--org', orgId)).stdout.trim(), '(none)');
  });

  it('prints the refusal of a wrong title and exits 1', async () => {
    const userId = await createUser('cli.fel.titel');
    await assert.rejects(
      idm('admin', 'grant', '--org', orgId, '--user', userId, '--reference', 'R', '--signed-by', 'X', '--signed-by-title', 'forvaltningschef', '--signed-at', '2026-01-15'),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr, /400: signedByTitle must be "rektor"/);
        return true;
      },
    );
    assert.deepEqual(JSON.parse((await idm('admin', 'list', '--org', orgId, '--json')).stdout), []);
  });

  it('lists the open termination request of a deactivated user and completes it', async () => {
    const userId = await createUser('cli.avslut');
    const deactivated = await scim(admin, 'PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] });
    assert.equal(deactivated.status, 200);

    const open = JSON.parse((await idm('terminations', '--json')).stdout);
    const request = open.find((r: { userId: string }) => r.userId === userId);
    assert.equal(request.status, 'open');
    assert.equal(request.userName, 'cli.avslut');
    assert.equal(request.openedBy, 'anna');
    assert.match((await idm('terminations')).stdout, /cli\.avslut/);

    const completed = JSON.parse((await idm('terminations', 'complete', request.id)).stdout);
    assert.equal(completed.status, 'completed');
    assert.equal((await scim(provisioner, 'GET', `/Users/${userId}`)).status, 404);
    assert.ok(!JSON.parse((await idm('terminations', '--json')).stdout).some((r: { id: string }) => r.id === request.id));
    assert.ok(JSON.parse((await idm('terminations', '--all', '--json')).stdout).some((r: { id: string; status: string }) => r.id === request.id && r.status === 'completed'));
    await assert.rejects(idm('terminations', 'complete', request.id), (err: { stderr: string }) => /409: .*already completed/.test(err.stderr));
  });

  it('purge --dry-run lists ungrouped users and deletes nothing', async () => {
    const userId = await createUser('cli.utan.grupp');
    // Creation sets ungrouped_since; "older than 0 days" is anyone ungrouped before now.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const listed = JSON.parse((await idm('purge', '--dry-run', '--older-than', '0', '--json')).stdout);
    const row = listed.find((u: { userId: string }) => u.userId === userId);
    assert.deepEqual({ ...row, ungroupedSince: undefined }, { organisationId: orgId, userId, userName: 'cli.utan.grupp', ungroupedSince: undefined, deleted: false });
    assert.match((await idm('purge', '--dry-run', '--older-than', '0')).stdout, /would be deleted \(dry run\)/);
    assert.equal((await scim(provisioner, 'GET', `/Users/${userId}`)).status, 200);
    // The default age (30 days) takes none of the users created in this test.
    assert.ok(!JSON.parse((await idm('purge', '--dry-run', '--json')).stdout).some((u: { userId: string }) => u.userId === userId));
  });

  it('purge deletes, and says how many', async () => {
    const userId = await createUser('cli.rensas');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const out = (await idm('purge', '--older-than', '0')).stdout;
    assert.match(out, /cli\.rensas/);
    assert.match(out, /\d+ user\(s\) deleted/);
    assert.equal((await scim(provisioner, 'GET', `/Users/${userId}`)).status, 404);
  });

  it('outbox lists messages as a JSON array or a table', async () => {
    const messages = JSON.parse((await idm('outbox', '--json')).stdout);
    assert.ok(Array.isArray(messages));
    for (const m of messages) {
      for (const key of ['id', 'organisationId', 'channel', 'recipient', 'subject', 'body', 'status', 'attempts', 'createdAt', 'deliveredAt']) assert.ok(key in m, key);
    }
    const table = (await idm('outbox', '--status', 'pending', '--limit', '5')).stdout;
    assert.ok(table.length > 0);
    await assert.rejects(idm('outbox', '--org', 'not-an-id'), (err: { stderr: string }) => /400: organisationId/.test(err.stderr));
  });
});
