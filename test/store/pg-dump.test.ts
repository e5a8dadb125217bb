// Issue 15, item 3: a PostgreSQL deployment is backed up with PostgreSQL's own tools (README
// "Backups"). A dump of a populated database, restored into a new one, holds every row, and the
// server on it serves them with the tokens issued before.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pino from 'pino';
import supertest from 'supertest';
import { buildApp } from '../../src/app.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { databaseUrlOn, TEST_SERVER_ENV } from '../helpers/test-server.ts';
import { fingerprint } from '../helpers/db-fingerprint.ts';
import { runFile } from '../helpers/child-process.ts';
import { scimClient } from '../helpers/scim.ts';
import { openDb, migrate } from '../../src/store/db.ts';

/** pg_dump refuses a server newer than itself: the embedded PostgreSQL 18 needs pg_dump 18. */
function pgDumpMajor(): number | undefined {
  try {
    return Number(/(\d+)/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }))![1]);
  } catch {
    return undefined;
  }
}

describe('pg_dump and pg_restore (README "Backups")', () => {
  let t: TestApp;
  let admin: Knex;
  let skip: string | false = false;
  const restored = `idm_restored_${crypto.randomBytes(6).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-pgdump-'));

  before(async () => {
    t = await createTestApp();
    admin = knexFactory({ client: 'pg', connection: process.env[TEST_SERVER_ENV] || process.env.DATABASE_URL, pool: { min: 0, max: 1 } });
    const server = Number(/^(\d+)/.exec((await admin.raw('show server_version')).rows[0].server_version)![1]);
    const dump = pgDumpMajor();
    if (dump === undefined) skip = 'no pg_dump on this machine';
    else if (dump < server) skip = `pg_dump ${dump} cannot dump PostgreSQL ${server}`;
  });
  after(async () => {
    await t?.close();
    await admin?.raw(`drop database if exists ${restored} with (force)`);
    await admin?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a dump restores into a new database that holds every row and serves them with the old tokens', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const org = await t.createOrg({ name: 'Dumpskolan' });
    const client = await scimClient(t, org.id, 'admin');
    for (const name of ['dump.ett', 'dump.tva']) await client.createUser(name);
    const before = await fingerprint(t.testDb.db);

    const file = path.join(dir, 'idm.dump');
    await runFile('pg_dump', ['-Fc', '-d', t.testDb.url, '-f', file]);
    await admin.raw(`create database ${restored}`);
    const url = databaseUrlOn(process.env[TEST_SERVER_ENV] || process.env.DATABASE_URL!, restored);
    await runFile('pg_restore', ['--no-owner', '-d', url, file]);

    const db = openDb({ databaseUrl: url });
    try {
      assert.deepEqual(await fingerprint(db), before);
      assert.deepEqual(await migrate(db), [], 'the restored schema is the current one');
      const app = buildApp({ db, config: t.config, key: t.key, log: pino({ level: 'silent' }), now: () => new Date() });
      const res = await supertest(app.callback()).get('/scim/v2/Users?sortBy=userName').set('Authorization', `Bearer ${client.token}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.Resources.map((u: { userName: string }) => u.userName), ['dump.ett', 'dump.tva']);
      const created = await supertest(app.callback()).post('/scim/v2/Users').set('Authorization', `Bearer ${client.token}`).set('Content-Type', 'application/scim+json')
        .send({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dump.tre' });
      assert.equal(created.status, 201, 'writes carry on after the restored rows');
    } finally {
      await db.destroy();
    }
  });
});
