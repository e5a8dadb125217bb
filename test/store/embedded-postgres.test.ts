import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/store/embedded-postgres.ts';
import { isRunning, readPidFile } from '../../src/store/postmaster.ts';
import { onlyWithoutDatabaseUrl } from '../helpers/test-server.ts';

const dirs: string[] = [];
const servers: EmbeddedPostgres[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-embedded-'));
  dirs.push(dir);
  return dir;
}

function capturingLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  }));
  return { log, lines };
}

async function start(dataDir: string, log = pino({ level: 'silent' })): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres({ dataDir, log, durable: false });
  servers.push(server);
  return server;
}

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

function uidOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

describe('embedded PostgreSQL server', { timeout: 10 * 60_000, skip: onlyWithoutDatabaseUrl }, () => {
  after(async () => {
    for (const server of servers) await server.stop().catch(() => undefined);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('initialises a cluster in DATA_DIR on first start, listens on a socket in it only, as an unprivileged user, and keeps the data across a stop', async () => {
    const dataDir = tempDir();
    const pgdata = path.join(dataDir, 'postgres');
    const first = await start(dataDir);
    assert.ok(fs.existsSync(path.join(pgdata, 'PG_VERSION')));
    const pidFile = readPidFile(pgdata)!;
    assert.equal(pidFile.socketDir, pgdata);
    const [settings] = await query<{ listen: string; version: string }>(first.url, "select current_setting('listen_addresses') as listen, current_setting('server_version_num') as version");
    assert.equal(settings.listen, '', 'no TCP address at all');
    assert.ok(Number(settings.version) >= 180000);
    const [hba] = await query<{ n: string }>(first.url, "select count(*) as n from pg_hba_file_rules where type <> 'local' and auth_method <> 'reject'");
    assert.equal(hba.n, '0', 'every host rule rejects');
    if (process.getuid!() === 0) {
      assert.notEqual(uidOf(pidFile.pid), 0, 'PostgreSQL does not run as root');
      assert.equal(fs.statSync(pgdata).uid, uidOf(pidFile.pid));
    } else {
      assert.equal(uidOf(pidFile.pid), process.getuid!());
    }
    await query(first.url, 'create table kept (v text); insert into kept values ($$still here$$)');

    await first.stop();
    assert.equal(isRunning(pidFile.pid), false);
    assert.equal(fs.existsSync(path.join(pgdata, 'postmaster.pid')), false);

    const second = await start(dataDir);
    assert.deepEqual(await query(second.url, 'select v from kept'), [{ v: 'still here' }]);
    await second.stop();
  });

  it('writes its log to DATA_DIR/postgres.log and its ERROR lines to ours as warnings', async () => {
    const dataDir = tempDir();
    const { log, lines } = capturingLog();
    const server = await start(dataDir, log);
    await assert.rejects(query(server.url, 'select 1/0'), /division by zero/);
    // The log file is followed every second; allow for a busy machine.
    for (let i = 0; i < 600 && !lines.some((l) => l.msg === 'division by zero'); i++) await sleep(100);
    const line = lines.find((l) => l.msg === 'division by zero');
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.level, 40);
    await server.stop();
    assert.match(fs.readFileSync(path.join(dataDir, 'postgres.log'), 'utf8'), /ERROR: {2}division by zero/);
  });

  it('puts the socket in a short private directory when DATA_DIR is too deep for one, and removes it at stop', async () => {
    const root = tempDir();
    fs.chmodSync(root, 0o755);
    const dataDir = path.join(root, 'a-rather-long-directory-name-'.repeat(3), 'and-another-one-to-pass-the-limit');
    assert.ok(Buffer.byteLength(path.join(dataDir, 'postgres', '.s.PGSQL.5432')) > 107);
    const server = await start(dataDir);
    const socketDir = readPidFile(path.join(dataDir, 'postgres'))!.socketDir;
    assert.ok(!socketDir.startsWith(dataDir));
    assert.ok(Buffer.byteLength(path.join(socketDir, '.s.PGSQL.5432')) <= 107);
    assert.deepEqual(await query(server.url, 'select 1 as one'), [{ one: 1 }]);
    await server.stop();
    assert.equal(fs.existsSync(socketDir), false);
  });

  it('refuses a second start on the same DATA_DIR while the first runs, and leaves the first alone', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    await assert.rejects(start(dataDir), /DATA_DIR .* is in use by another running server/);
    assert.deepEqual(await query(first.url, 'select 1 as one'), [{ one: 1 }]);
    await first.stop();
  });

  it('starts over a postmaster.pid whose process id now belongs to another program, which it leaves running', async () => {
    const dataDir = tempDir();
    const pgdata = path.join(dataDir, 'postgres');
    await (await start(dataDir)).stop();
    // As the database's own user: PostgreSQL would take a process of another user for a dead one.
    const { uid, gid } = fs.statSync(pgdata);
    const other = spawn('sleep', ['600'], { stdio: 'ignore', uid, gid });
    try {
      fs.writeFileSync(path.join(pgdata, 'postmaster.pid'), `${other.pid}\n${pgdata}\n1700000000\n5432\n${pgdata}\n\n  123456   7\nready   \n`);
      const server = await start(dataDir);
      assert.deepEqual(await query(server.url, 'select 1 as one'), [{ one: 1 }]);
      assert.equal(isRunning(other.pid!), true);
      await server.stop();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('starts after an interrupted initialisation', async () => {
    const dataDir = tempDir();
    fs.mkdirSync(path.join(dataDir, 'postgres.init'));
    fs.writeFileSync(path.join(dataDir, 'postgres.init', 'PG_VERSION'), 'half\n');
    const server = await start(dataDir);
    assert.deepEqual(await query(server.url, 'select 1 as one'), [{ one: 1 }]);
    await server.stop();
  });
});
