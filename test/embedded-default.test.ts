import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRunning, readPidFile, signalAndWait } from '../src/store/postmaster.ts';
import { IDM } from './helpers/cli-server.ts';
import { runFile, spawnNode, type Child } from './helpers/child-process.ts';
import { onlyWithoutDatabaseUrl } from './helpers/test-server.ts';

// `npm start` and `idm migrate` without DATABASE_URL, as a user runs them: each on its own
// embedded PostgreSQL server in a fresh DATA_DIR.
describe('the embedded database of npm start (no DATABASE_URL)', { timeout: 10 * 60_000, skip: onlyWithoutDatabaseUrl }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-default-'));
  const pgdata = path.join(dataDir, 'postgres');
  const env = { DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info' };
  const started: Child[] = [];
  const start = () => {
    const server = spawnNode(['src/server.ts'], { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' });
    started.push(server);
    return server;
  };
  const listening = async (server: Child) => (await server.waitForOutput(/"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/, 'the server to listen'))[1];
  const exitCode = async (server: Child) => (await server.waitForExit()).code;
  const idm = (url: string, ...args: string[]) => runFile(process.execPath, [IDM, ...args], { env: { ...process.env, ...env, IDM_URL: url } });
  const postmasterPid = () => readPidFile(pgdata)?.pid;

  after(async () => {
    for (const server of started) await server.stop();
    // A test that failed half-way may leave a database server behind: stop it before deleting its files.
    const pid = postmasterPid();
    if (pid && isRunning(pid)) await signalAndWait(pid, 'SIGINT', 120_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('idm migrate initialises and migrates the embedded database, then finds it up to date', async () => {
    const first = await idm('http://127.0.0.1:9', 'migrate');
    assert.match(first.stdout, /^applied: \d+_foundation\.ts/);
    const second = await idm('http://127.0.0.1:9', 'migrate');
    assert.equal(second.stdout, 'already up to date\n');
    assert.equal(postmasterPid(), undefined, 'idm stopped the database it started');
  });

  it('serves from it; a second server or idm migrate on the same DATA_DIR is refused; after a SIGKILL the next start takes over with the data; SIGTERM stops the database too', async () => {
    const first = start();
    const url = await listening(first);
    const org = JSON.parse((await idm(url, 'org', 'create', '--name', 'Kvar efter SIGKILL', '--type', 'municipality')).stdout);
    const firstPostmaster = postmasterPid()!;

    const second = start();
    assert.equal(await exitCode(second), 1);
    assert.match(second.output(), /DATA_DIR .* is in use by another running server/);
    await assert.rejects(idm(url, 'migrate'), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /is in use by another running server/);
      return true;
    });
    assert.equal((await fetch(`${url}/readyz`)).status, 200, 'the running server kept its database');
    assert.equal(postmasterPid(), firstPostmaster);

    process.kill(first.pid, 'SIGKILL');
    await exitCode(first);
    assert.equal(isRunning(firstPostmaster), true, 'the database outlives a server killed outright');

    const third = start();
    const thirdUrl = await listening(third);
    assert.equal(isRunning(firstPostmaster), false, 'the database left behind was stopped');
    assert.match(third.output(), /stopping the embedded PostgreSQL server left running by an earlier start/);
    const shown = JSON.parse((await idm(thirdUrl, 'org', 'show', org.id)).stdout);
    assert.equal(shown.name, 'Kvar efter SIGKILL');
    const thirdPostmaster = postmasterPid()!;

    process.kill(third.pid, 'SIGTERM');
    assert.equal(await exitCode(third), 0, third.output());
    assert.equal(isRunning(thirdPostmaster), false);
    assert.equal(postmasterPid(), undefined);
    assert.match(fs.readFileSync(path.join(dataDir, 'postgres.log'), 'utf8'), /database system is shut down/);
  });
});
