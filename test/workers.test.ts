// Issue 15, item 1: `npm start` with WORKERS=N runs N server processes (node's cluster) on one
// PostgreSQL; refused on the embedded database, which serves one process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { readSigningKey } from '../src/auth/signing-key.ts';
import { signToken } from '../src/auth/tokens.ts';
import { TOKEN_LEEWAY_SECONDS } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { generateJwk } from './helpers/test-app.ts';
import { createTestDb, type TestDb } from './helpers/test-db.ts';
import { spawnNode, type Child } from './helpers/child-process.ts';
import { recordSecret } from './helpers/secrets.ts';
import { startSmtp } from './helpers/smtp.ts';
import { waitUntil } from './helpers/wait.ts';

/** A request on a connection of its own, so the cluster hands it to the next worker. */
function once(url: string, method: string, token?: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent: false, headers: { Connection: 'close', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(data ? { 'Content-Type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('WORKERS=N', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-workers-'));
    dirs.push(dir);
    return dir;
  };
  let testDb: TestDb;
  before(async () => {
    testDb = await createTestDb();
  });
  after(async () => {
    await testDb?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without DATABASE_URL is refused at start, saying what to do, and starts no database', async () => {
    const dir = dataDir();
    const child = spawnNode(['src/server.ts'], { ...process.env, WORKERS: '2', DATABASE_URL: '', DATA_DIR: dir, PORT: '0' });
    try {
      const exit = await child.waitForExit();
      assert.equal(exit.code, 1);
      assert.match(child.output(), /WORKERS=2 needs DATABASE_URL/);
      assert.match(child.output(), /Moving to PostgreSQL/);
      assert.ok(!fs.existsSync(path.join(dir, 'postgres')), 'no embedded database was created');
    } finally {
      await child.stop();
    }
  });

  it('with DATABASE_URL: two processes serve, send each e-mail once, a token revoked through either is refused by both, and SIGTERM stops them all', async () => {
    const jwk = await generateJwk();
    const smtp = await startSmtp();
    const child: Child = spawnNode(['src/server.ts'], {
      ...process.env, WORKERS: '2', DATABASE_URL: testDb.url, DATA_DIR: dataDir(), PORT: '0', HOST: '127.0.0.1',
      IDM_SIGNING_KEY: jwk, IDM_CACHE_SECONDS: '3600', LOG_LEVEL: 'info', SMTP_URL: smtp.url,
    });
    try {
      await child.waitForOutput(/"msg":"listening"[\s\S]*"msg":"listening"/, 'both workers to listen');
      const url = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(child.output())![1];
      const pids = new Set([...child.output().matchAll(/"pid":(\d+)[^\n]*"msg":"listening"/g)].map((m) => m[1]));
      assert.equal(pids.size, 2, 'two worker processes');

      // Each new connection goes to the next worker: both answer.
      const seen = new Set<string>();
      for (let i = 0; i < 20 && seen.size < 2; i++) {
        const metrics = await once(`${url}/metrics`, 'GET');
        seen.add(/process="(\d+)"/.exec(metrics.text)![1]);
      }
      assert.deepEqual([...seen].sort(), [...pids].sort());

      const config = loadConfig({});
      const key = await readSigningKey('/nonexistent', jwk);
      const settings = { issuer: config.issuer, audience: config.audience, leewaySeconds: TOKEN_LEEWAY_SECONDS };
      const operator = recordSecret((await signToken(key, settings, { role: 'operator', subject: 'op:workers', ttlSeconds: 600, jti: crypto.randomUUID() }, Date.now())).token);
      const org = JSON.parse((await once(`${url}/admin/v1/organisations`, 'POST', operator, { name: 'Klustergymnasiet', type: 'school', schoolForm: 'gymnasieskola' })).text);
      const issued = JSON.parse((await once(`${url}/admin/v1/tokens`, 'POST', operator, { organisationId: org.id, role: 'admin', subject: 'workers-admin' })).text);
      recordSecret(issued.token);
      // Both workers deliver the outbox: every one-time password e-mail arrives once.
      const group = JSON.parse((await once(`${url}/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Studietider och utbildningar"')}&excludedAttributes=members`, 'GET', issued.token)).text).Resources[0].id;
      const recipients: string[] = [];
      for (let i = 0; i < 10; i++) {
        const email = `kluster${i}@skola.se`;
        const created = await once(`${url}/scim/v2/Users`, 'POST', issued.token, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `kluster.${i}`, emails: [{ value: email, type: 'work' }] });
        const user = JSON.parse(created.text);
        const patched = await once(`${url}/scim/v2/Groups/${group}`, 'PATCH', issued.token, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id }] }] });
        assert.equal(patched.status, 204);
        recipients.push(email);
      }
      const pendingEmails = async () => Number((await testDb.db('outbox').where({ channel: 'email', status: 'pending' }).count({ n: '*' }).first())!.n);
      await waitUntil(async () => (await pendingEmails()) === 0, 'the workers to deliver every e-mail');
      assert.deepEqual(smtp.state.received.flatMap((r) => r.to).sort(), recipients.sort(), 'each e-mail sent once');

      // Verified, and so kept for an hour, by both workers.
      for (let i = 0; i < 4; i++) assert.equal((await once(`${url}/scim/v2/Users?count=0`, 'GET', issued.token)).status, 200);
      assert.equal((await once(`${url}/admin/v1/tokens/${issued.jti}`, 'DELETE', operator)).status, 200);
      // The notification arrives at commit; allow it a moment by polling, then both refuse.
      let refusedInARow = 0;
      for (let i = 0; i < 2000 && refusedInARow < 4; i++) {
        refusedInARow = (await once(`${url}/scim/v2/Users?count=0`, 'GET', issued.token)).status === 401 ? refusedInARow + 1 : 0;
      }
      assert.equal(refusedInARow, 4, 'four requests in a row, two to each worker, refused');

      process.kill(child.pid, 'SIGTERM');
      const exit = await child.waitForExit();
      assert.equal(exit.code, 0);
      assert.equal([...child.output().matchAll(/"msg":"stopped"/g)].length, 2, 'each worker drained and stopped');
    } finally {
      await child.stop();
      await smtp.stop();
    }
  });
});
