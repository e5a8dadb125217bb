// Issue 15, item 1: what a process keeps in memory about tokens and organisations is forgotten
// by every process as soon as it changes: a revocation or a deactivation through one server is
// refused by another at once (LISTEN/NOTIFY), though both keep verified tokens for an hour here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../src/server.ts';
import { loadConfig } from '../../src/config/config.ts';
import { readSigningKey } from '../../src/auth/signing-key.ts';
import { signToken } from '../../src/auth/tokens.ts';
import { TOKEN_LEEWAY_SECONDS } from '../../src/app.ts';
import { generateJwk } from '../helpers/test-app.ts';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';
import { recordSecret } from '../helpers/secrets.ts';
import { waitUntil } from '../helpers/wait.ts';

describe('two server processes on one database: changes to tokens and organisations reach both at once', () => {
  let testDb: TestDb;
  const dirs: string[] = [];
  let one: RunningServer;
  let other: RunningServer;
  let operator: string;

  before(async () => {
    testDb = await createTestDb();
    const jwk = await generateJwk();
    // An hour: only a notification can make a server forget what it verified.
    const config = { ...loadConfig({}), port: 0, databaseUrl: testDb.url, signingKey: jwk, cacheSeconds: 3600 };
    const start = () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-notify-'));
      dirs.push(dataDir);
      return startServer({ ...config, dataDir }, pino({ level: 'silent' }));
    };
    one = await start();
    other = await start();
    const key = await readSigningKey('/nonexistent', jwk);
    const settings = { issuer: config.issuer, audience: config.audience, leewaySeconds: TOKEN_LEEWAY_SECONDS };
    operator = recordSecret((await signToken(key, settings, { role: 'operator', subject: 'op:notify', ttlSeconds: 600, jti: crypto.randomUUID() }, Date.now())).token);
  });
  after(async () => {
    await one?.stop();
    await other?.stop();
    await testDb?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = (server: RunningServer, method: string, url: string, token: string, body?: unknown) =>
    fetch(`${server.url}${url}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const issue = async (orgId: string, subject: string) => {
    const res = await call(one, 'POST', '/admin/v1/tokens', operator, { organisationId: orgId, role: 'admin', subject });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { token: string; jti: string };
    recordSecret(body.token);
    return body;
  };
  const createOrg = async (name: string) => {
    const res = await call(one, 'POST', '/admin/v1/organisations', operator, { name, type: 'municipality' });
    assert.equal(res.status, 201);
    return ((await res.json()) as { id: string }).id;
  };
  const users = (server: RunningServer, token: string) => call(server, 'GET', '/scim/v2/Users?count=0', token).then((r) => r.status);

  it('a token revoked through one process is refused by the other, which had it verified and kept', async () => {
    const orgId = await createOrg('Notifikationskommun');
    const { token, jti } = await issue(orgId, 'notify-revoked');
    const kept = await issue(orgId, 'notify-kept');
    assert.equal(await users(other, token), 200);
    assert.equal(await users(other, kept.token), 200);
    assert.equal((await call(one, 'DELETE', `/admin/v1/tokens/${jti}`, operator)).status, 200);
    await waitUntil(async () => (await users(other, token)) === 401, 'the other process to refuse the revoked token');
    assert.equal(await users(other, kept.token), 200, 'the other tokens still work');
  });

  it('an organisation deactivated through one process is refused by the other', async () => {
    const orgId = await createOrg('Avstängd kommun');
    const { token } = await issue(orgId, 'notify-org');
    assert.equal(await users(other, token), 200);
    assert.equal((await call(one, 'PATCH', `/admin/v1/organisations/${orgId}`, operator, { active: false })).status, 200);
    await waitUntil(async () => (await users(other, token)) === 401, 'the other process to refuse the deactivated organisation');
  });
});
