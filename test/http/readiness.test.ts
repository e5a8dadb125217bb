// Issue 15, item 4: /readyz tells a load balancer when not to send traffic — while migrations
// run, from the start of a shutdown, and while the database cannot be reached — and says why;
// /healthz asks nothing of the database. /metrics carries the process and the database gauges.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import supertest from 'supertest';
import knexFactory from 'knex';
import { buildApp } from '../../src/app.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { loadConfig } from '../../src/config/config.ts';
import { readSigningKey } from '../../src/auth/signing-key.ts';
import { MIGRATION_LOCK_KEY, openDb } from '../../src/store/db.ts';
import { Readiness } from '../../src/http/readiness.ts';
import { createTestApp, generateJwk, type TestApp } from '../helpers/test-app.ts';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';

describe('GET /readyz and /healthz', () => {
  it('with the database unreachable: /readyz 503 saying so, /healthz 200', async () => {
    const jwk = await generateJwk();
    // Nothing listens on port 1: every connection attempt is refused.
    const db = openDb({ databaseUrl: 'postgres://postgres@127.0.0.1:1/nothing' });
    try {
      const config = { ...loadConfig({}), signingKey: jwk };
      const app = buildApp({ db, config, key: await readSigningKey('/nonexistent', jwk), log: pino({ level: 'silent' }), now: () => new Date() });
      const http = supertest(app.callback());
      const ready = await http.get('/readyz');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: 'not ready', reason: 'database', detail: 'the database is unreachable' });
      const alive = await http.get('/healthz');
      assert.equal(alive.status, 200);
      assert.deepEqual(alive.body, { status: 'ok' });
    } finally {
      await db.destroy();
    }
  });

  it('draining or migrating, as the process says: 503 with the reason; only migrating refuses other requests', async () => {
    const t = await createTestApp();
    const readiness = new Readiness();
    try {
      const app = buildApp({ db: t.testDb.db, config: t.config, key: t.key, log: pino({ level: 'silent' }), now: () => new Date(), readiness });
      const http = supertest(app.callback());
      const operator = `Bearer ${await t.operatorToken()}`;
      assert.equal((await http.get('/readyz')).status, 200);

      readiness.draining();
      const draining = await http.get('/readyz');
      assert.equal(draining.status, 503);
      assert.deepEqual(draining.body, { status: 'not ready', reason: 'draining', detail: 'the server is shutting down' });
      assert.equal((await http.get('/admin/v1/organisations').set('Authorization', operator)).status, 200, 'a draining process still serves');

      const migrating = new Readiness('migrating');
      const starting = supertest(buildApp({ db: t.testDb.db, config: t.config, key: t.key, log: pino({ level: 'silent' }), now: () => new Date(), readiness: migrating }).callback());
      assert.deepEqual((await starting.get('/readyz')).body, { status: 'not ready', reason: 'migrating', detail: 'database migrations are running' });
      const refused = await starting.post('/admin/v1/organisations').set('Authorization', operator).send({ name: 'Under migrering', type: 'municipality' });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '5');
      assert.equal(refused.body.status, '503');
      assert.match(refused.body.detail, /migrations are running/);
      assert.equal((await starting.get('/healthz')).status, 200);
      assert.equal((await t.testDb.db('organisations').where({ name: 'Under migrering' })).length, 0, 'nothing was written');
    } finally {
      await t.close();
    }
  });
});

describe('a server process: not ready while its migrations wait or run, and from the start of its shutdown', () => {
  let testDb: TestDb;
  let dataDir: string;
  before(async () => {
    testDb = await createTestDb();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-readiness-'));
  });
  after(async () => {
    await testDb?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens at once, answers /readyz 503 "migrating" (and SCIM 503) while another process holds the migration lock, then 200; beginDraining turns it to 503 "draining"', async () => {
    // Another process migrating: the advisory lock every migrating process takes, held here.
    const other = knexFactory({ client: 'pg', connection: testDb.url, pool: { min: 1, max: 1 } });
    let release: () => void = () => undefined;
    const held = other.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?::bigint)', [MIGRATION_LOCK_KEY.toString()]);
      await new Promise<void>((resolve) => (release = resolve));
    });
    let running: RunningServer | undefined;
    try {
      // The lock is held before the server starts: wait for it to be taken.
      while ((await testDb.db.raw(`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`)).rows[0].n === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      let listeningAt: (url: string) => void = () => undefined;
      const listening = new Promise<string>((resolve) => (listeningAt = resolve));
      const starting = startServer({ ...loadConfig({}), dataDir, port: 0, databaseUrl: testDb.url, signingKey: await generateJwk() }, pino({ level: 'silent' }), { onListening: listeningAt });
      const url = await listening;
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: 'not ready', reason: 'migrating', detail: 'database migrations are running' });
      const scim = await fetch(`${url}/scim/v2/ServiceProviderConfig`);
      assert.equal(scim.status, 503);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);

      release();
      await held;
      running = await starting;
      const now = await fetch(`${url}/readyz`);
      assert.equal(now.status, 200);
      assert.deepEqual(await now.json(), { status: 'ready' });

      running.beginDraining();
      const draining = await fetch(`${url}/readyz`);
      assert.equal(draining.status, 503);
      assert.equal(((await draining.json()) as { reason: string }).reason, 'draining');
    } finally {
      release();
      await held.catch(() => undefined);
      await other.destroy();
      await running?.stop();
    }
  });
});

describe('GET /metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('labels every series with the process, and has gauges for the connection pool and the outbox backlog', async () => {
    const org = await t.createOrg();
    const pending = { org_id: org.id, channel: 'email', recipient: 'a@skola.se', subject: 's', body: 'b', status: 'pending', next_attempt_at: new Date(), created_at: new Date() };
    await t.testDb.db('outbox').insert([pending, pending, pending, { ...pending, status: 'delivered' }]);
    const res = await t.http().get('/metrics');
    assert.equal(res.status, 200);
    const label = `process="${process.pid}"`;
    assert.match(res.text, new RegExp(`^process_cpu_seconds_total\\{${label}\\} `, 'm'));
    assert.match(res.text, new RegExp(`^idm_outbox_backlog\\{${label}\\} 3$`, 'm'));
    // The test database's pool (test-db.ts) opens at most 20.
    assert.match(res.text, new RegExp(`^idm_db_pool_max_connections\\{${label}\\} 20$`, 'm'));
    for (const state of ['used', 'free', 'pending']) assert.match(res.text, new RegExp(`^idm_db_pool_connections\\{state="${state}",${label}\\} \\d+$`, 'm'));
  });
});
