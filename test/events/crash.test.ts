import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';
import { generateJwk } from '../helpers/test-app.ts';
import { spawnServer, type Child } from '../helpers/child-process.ts';
import { USER_SCHEMA } from '../helpers/scim.ts';
import { waitUntil } from '../helpers/wait.ts';
import { readSigningKey } from '../../src/auth/signing-key.ts';
import { signToken } from '../../src/auth/tokens.ts';

const USERS = 40;

describe('a server killed (SIGKILL) in the middle of pushing events loses none (SPEC §6.6)', () => {
  let testDb: TestDb;
  let env: NodeJS.ProcessEnv;
  let server: { child: Child; url: string } | undefined;
  let endpoint: http.Server;
  let endpointUrl: string;
  /** Every SET POSTed, decoded, in arrival order. */
  const posts: Record<string, any>[] = [];

  before(async () => {
    testDb = await createTestDb();
    // A short lease, so the restarted server takes the receiver over soon after the kill.
    env = { ...process.env, DATABASE_URL: testDb.url, IDM_SIGNING_KEY: await generateJwk(), EVENT_LEASE_SECONDS: '2', LOG_LEVEL: 'info' };
    // A receiver that answers each SET after a while, so the kill finds deliveries under way.
    endpoint = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        posts.push(decodeJwt(body));
        setTimeout(() => res.writeHead(202).end(), 20);
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/events`;
  });
  after(async () => {
    await server?.child.stop();
    await new Promise<void>((resolve) => {
      endpoint.close(() => resolve());
      endpoint.closeAllConnections();
    });
    await testDb.drop();
  });

  it('delivers every event after a restart, repeating only what was in flight, with the same jti', async () => {
    server = await spawnServer(env);
    const key = await readSigningKey('/nonexistent', env.IDM_SIGNING_KEY);
    const settings = { issuer: 'identity-manager', audience: 'identity-manager', leewaySeconds: 30 };
    const operator = (await signToken(key, settings, { role: 'operator', subject: 'csn:test', ttlSeconds: 3600 })).token;
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${server!.url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
    };
    const org = await call('POST', '/admin/v1/organisations', operator, { name: 'Kraschskolan', type: 'school', schoolForm: 'hogskola' });
    assert.equal(org.status, 201);
    const provisioner = (await signToken(key, settings, { role: 'provisioner', subject: 'hr', orgId: org.body.id, ttlSeconds: 3600 })).token;
    assert.equal((await call('POST', '/admin/v1/receivers', operator, { name: 'Portal', audience: 'portal', endpointUrl, payload: 'notice' })).status, 201);

    const ids: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const res = await call('POST', '/scim/v2/Users', provisioner, { schemas: [USER_SCHEMA], userName: `krasch.${i}` });
      assert.equal(res.status, 201);
      ids.push(res.body.id);
    }
    await waitUntil(() => posts.length >= 5, 'the first deliveries');
    process.kill(server.child.pid, 'SIGKILL');
    await server.child.waitForExit();
    const beforeRestart = posts.length;
    assert.ok(beforeRestart < USERS, 'killed before it had sent everything');

    server = await spawnServer(env);
    const distinct = () => new Set(posts.map((p) => p.jti)).size;
    await waitUntil(() => distinct() >= USERS, `all ${USERS} events after the restart`);

    // Every change arrived, in order of the changes, each under one jti; a repeat is a SET sent again.
    const firstOf = new Map<string, Record<string, any>>();
    for (const p of posts) if (!firstOf.has(p.jti)) firstOf.set(p.jti, p);
    assert.deepEqual([...firstOf.values()].map((p) => p.sub_id.id), ids);
    for (const p of posts) assert.equal(p.sub_id.id, firstOf.get(p.jti)!.sub_id.id, 'a repeated jti carries the same change');
    const repeats = posts.length - USERS;
    assert.ok(repeats <= 50, `at most one unsaved stretch is sent again (${repeats})`);
  });
});
