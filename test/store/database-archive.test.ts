// The archive of `idm db export` / `idm db import` (src/store/database-archive.ts) at the store:
// a damaged or truncated archive is refused and leaves the target empty, so the import can be run
// again; an archive of another version is refused before anything is written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import knexFactory, { type Knex } from 'knex';
import { openDb } from '../../src/store/db.ts';
import { readArchive, writeArchive } from '../../src/store/database-archive.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { scimClient } from '../helpers/scim.ts';
import { databaseUrlOn, TEST_SERVER_ENV } from '../helpers/test-server.ts';
import { fingerprint } from '../helpers/db-fingerprint.ts';

async function archiveOf(db: Knex): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await writeArchive(db, out, {});
  out.end();
  return Buffer.concat(chunks);
}

const publicTables = async (db: Knex) => ((await db.raw(`select table_name from information_schema.tables where table_schema = 'public'`)).rows as unknown[]).length;

describe('the database archive', () => {
  let t: TestApp;
  let admin: Knex;
  let target: Knex;
  let archive: Buffer;
  const name = `idm_archive_${crypto.randomBytes(6).toString('hex')}`;

  before(async () => {
    t = await createTestApp();
    const org = await t.createOrg({ name: 'Arkivskolan' });
    const client = await scimClient(t, org.id, 'admin');
    // A backslash, a tab, a newline and a line that reads "\." in the data: COPY escapes them all.
    await client.createUser('arkiv.ett', { displayName: 'Ett\\.\n\\.\ttab' });
    await client.createUser('arkiv.tva');
    archive = await archiveOf(t.testDb.db);
    const serverUrl = process.env[TEST_SERVER_ENV] || process.env.DATABASE_URL!;
    admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${name}`);
    target = openDb({ databaseUrl: databaseUrlOn(serverUrl, name) });
  });
  after(async () => {
    await target?.destroy();
    await admin?.raw(`drop database if exists ${name} with (force)`);
    await admin?.destroy();
    await t?.close();
  });

  it('refuses an archive cut short, and leaves the database empty', async () => {
    const cut = archive.subarray(0, Math.floor(archive.length * 0.8));
    await assert.rejects(readArchive(target, Readable.from([cut])), /ends early|damaged/);
    assert.equal(await publicTables(target), 0);
  });

  it('refuses an archive with a row count that does not match, and leaves the database empty', async () => {
    const text = archive.toString('utf8');
    const tampered = text.replace(/"users":(\d+)/, (_, n) => `"users":${Number(n) + 1}`);
    assert.notEqual(tampered, text);
    await assert.rejects(readArchive(target, Readable.from([Buffer.from(tampered)])), /users should have/);
    assert.equal(await publicTables(target), 0);
  });

  it('refuses an archive of a newer version before writing anything', async () => {
    const text = archive.toString('utf8');
    const newer = text.replace('"migrations":[', '"migrations":["29990101000001_from_the_future.ts",');
    await assert.rejects(readArchive(target, Readable.from([Buffer.from(newer)])), /another version of Identity Manager/);
    assert.equal(await publicTables(target), 0);
  });

  it('then loads the whole archive, arriving in small pieces, row for row', async () => {
    // Pieces of 7 bytes: every line and the end markers are split across chunks.
    const pieces = Array.from({ length: Math.ceil(archive.length / 7) }, (_, i) => archive.subarray(i * 7, i * 7 + 7));
    const summary = await readArchive(target, Readable.from(pieces));
    assert.equal(summary.rows.users, 2);
    assert.deepEqual(await fingerprint(target), await fingerprint(t.testDb.db));
    const user = await target('users').where({ user_name: 'arkiv.ett' }).first();
    assert.equal(user.data.displayName, 'Ett\\.\n\\.\ttab');
  });
});
