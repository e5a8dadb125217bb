// Runs every *.test.ts under test/ with node's test runner (through tsx), on one PostgreSQL server
// for the whole run: an embedded one started here, or DATABASE_URL's. Each test file creates and
// drops its own throwaway database on it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findLeaks } from './helpers/secrets.ts';
import { startTestServer } from './helpers/test-server.ts';

function find(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return find(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

// A test that hangs fails after this long instead of holding the run (node sets no limit). It is
// generous, for a machine busy with other work; a test that needs longer says so itself.
const PER_TEST_TIMEOUT_MS = 10 * 60_000;

const only = process.argv.slice(2);
const files = only.length ? only : find('test').sort();
// Every test app's log lines and every secret the tests use are collected here, then checked
// against each other once the whole run is over: no secret may reach a log.
const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-test-'));
// A signal that ends the run ends the tests first, so the server is stopped below, not left behind.
let child: ChildProcess | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    child?.kill(signal);
  });
}
const server = await startTestServer();
console.log(`tests on ${server.name}`);
let status = 1;
try {
  if (!interrupted) {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${PER_TEST_TIMEOUT_MS}`, '--test-reporter=spec', ...files],
      { stdio: 'inherit', env: { ...process.env, ...server.env, IDM_TEST_ARTIFACTS: artifacts } },
    );
    const running = child;
    status = await new Promise<number>((resolve) => running.once('exit', (code) => resolve(code ?? 1)));
  }
} finally {
  await server.stop();
}
const { secrets, lines, leaks } = findLeaks(artifacts);
fs.rmSync(artifacts, { recursive: true, force: true });
console.log(`leak check: ${secrets} secrets against ${lines} log lines, ${leaks.length} leaks`);
for (const leak of leaks.slice(0, 20)) console.log(`  LEAK ${leak}`);
process.exit(leaks.length ? 1 : status);
