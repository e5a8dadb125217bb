import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase } from '../../bench/generate.ts';
import type { Row } from '../../bench/scenarios.ts';
import { spawnNode, type Child } from '../helpers/child-process.ts';

// The benchmark machinery (generator, floor, load runner, report, EXPLAIN) on a tiny data set, so
// that it cannot rot between benchmark runs. Nothing here is timed: the test checks that every
// scenario of issue 6 produced its figures, never whether a target was met.

const serverUrl = process.env.DATABASE_URL;
const skip = serverUrl ? false : 'DATABASE_URL is not set: the benchmark machinery runs once, in the run on the server of DATABASE_URL (which bench/ uses)';
/** The whole tiny run, on a busy machine. */
const BENCH_WITHIN_MS = 15 * 60_000;

/** Every figure the table must have: row key → the figure may be zero (memory growth of a small response). */
const EXPECTED: Record<string, 'positive' | 'non-negative'> = {
  'users-filter.rps.c16': 'positive',
  'users-filter.p99.c16': 'non-negative',
  'users-filter.cpu.c16': 'positive',
  'users-filter.pgcpu.c16': 'non-negative',
  'users-filter.rps.c32': 'positive',
  'users-filter.p99.c32': 'non-negative',
  'users-filter.cpu.c32': 'positive',
  'users-id.rps.c16': 'positive',
  'users-id.rps.c32': 'positive',
  'users-id.cpu.c16': 'positive',
  'group-get-excluded.big': 'positive',
  'group-get-excluded.small': 'positive',
  'group-get-excluded.ratio': 'positive',
  'group-members.time': 'positive',
  'group-members.rss': 'non-negative',
  'paging.first': 'positive',
  'paging.deep': 'positive',
  'paging.cursor-ratio': 'positive',
  'paging.index1': 'positive',
  'paging.indexDeep': 'positive',
  'paging.index-ratio': 'positive',
  'csv.rate': 'positive',
  'csv.rss': 'non-negative',
  'group-patch.big': 'positive',
  'group-patch.small': 'positive',
  'group-patch.ratio': 'positive',
  'patch-bounds.add-present': 'positive',
  'patch-bounds.replace-mebibyte': 'positive',
  'patch-bounds.add-mebibyte': 'positive',
  'patch-bounds.filtered-writes': 'positive',
  'patch-bounds.all-values-writes': 'positive',
  'patch-bounds.pathless': 'positive',
  'patch-bounds.remove-add': 'positive',
  'patch-bounds.members': 'positive',
  'patch-bounds.worst': 'positive',
  'users-post.rps.c16': 'positive',
  'users-post.cpu.c16': 'positive',
  'bulk.rate': 'positive',
  'import.rate': 'positive',
  'rss.final': 'positive',
};

/** Figures the floor measures too. */
const WITH_FLOOR = ['users-filter.rps.c16', 'users-filter.cpu.c32', 'users-id.rps.c32', 'users-post.rps.c16', 'group-get-excluded.big', 'group-members.time', 'paging.deep', 'paging.indexDeep', 'rss.final'];

describe('bench machinery on a tiny data set', { skip, timeout: BENCH_WITHIN_MS + 5 * 60_000 }, () => {
  const database = `idm_bench_test_${crypto.randomBytes(5).toString('hex')}`;
  let dir: string;
  let rows: Row[];
  let report: { rows: Row[]; explain: string; rssTimeline: string[] };
  let output: string;
  let results: string;
  let bench: Child | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-bench-test-'));
    const json = path.join(dir, 'out.json');
    results = path.join(dir, 'RESULTS.md');
    bench = spawnNode([
      'bench/run.ts',
      '--db', database, '--users', '300', '--orgs', '2', '--big-org-users', '100',
      '--duration', '1', '--warmup', '1', '--reps', '1', '--sequential', '3', '--import-rows', '20',
      '--manifest', path.join(dir, 'dataset.json'), '--json', json, '--results', results, '--explain-all', '--drop-db',
    ], { ...process.env, DATABASE_URL: serverUrl });
    const exit = await bench.waitForExit(BENCH_WITHIN_MS);
    output = bench.output();
    assert.equal(exit.code, 0, `bench/run.ts failed:\n${output.slice(-4000)}`);
    report = JSON.parse(fs.readFileSync(json, 'utf8'));
    rows = report.rows;
  });

  after(async () => {
    // bench/run.ts stops the servers it started when it gets SIGTERM.
    await bench?.stop();
    if (serverUrl) await dropDatabase(database, serverUrl).catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports every scenario of the issue with a number', () => {
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const [key, kind] of Object.entries(EXPECTED)) {
      const row = byKey.get(key);
      assert.ok(row, `no row ${key}; rows: ${[...byKey.keys()].join(', ')}`);
      assert.equal(typeof row.ours, 'number', `${key}: ${JSON.stringify(row)}`);
      assert.ok(Number.isFinite(row.ours) && (kind === 'positive' ? row.ours! > 0 : row.ours! >= 0), `${key}: ours = ${row.ours}`);
    }
    for (const key of WITH_FLOOR) {
      const floor = byKey.get(key)!.floor;
      assert.ok(typeof floor === 'number' && Number.isFinite(floor) && floor > 0, `${key}: floor = ${floor}`);
    }
  });

  it('gives every row with a target a verdict, and names the target', () => {
    for (const row of rows.filter((r) => r.target && r.target !== 'measured and reported' && r.ours !== null)) {
      assert.equal(typeof row.met, 'boolean', `${row.key} has a target but no verdict`);
    }
    assert.ok(rows.some((r) => r.target.includes('75 % of floor')));
  });

  it('prints the table and appends a dated section with the machine and the command to the results file', () => {
    assert.match(output, /\| scenario \| unit \| ours \| floor \|/);
    const text = fs.readFileSync(results, 'utf8');
    assert.match(text, /^## \d{4}-\d\d-\d\d \d\d:\d\d UTC — quick run$/m);
    assert.match(text, /Machine: \d+ CPUs/);
    assert.match(text, /Node v\d+/);
    assert.match(text, /PostgreSQL \d+/);
    assert.match(text, /Mem:/);
    assert.match(text, /Command: `.*bench\/run\.ts/);
  });

  it('explains the SQL behind the scenarios with EXPLAIN ANALYZE', () => {
    assert.match(report.explain, /### EXPLAIN: users-filter/);
    assert.match(report.explain, /users_org_user_name/);
    assert.match(report.explain, /Execution Time/);
  });

  it('drops the database it made', async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    await client.end();
    assert.equal(found.rowCount, 0);
  });
});
