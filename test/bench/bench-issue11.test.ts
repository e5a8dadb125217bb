import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Row } from '../../bench/scenarios.ts';
import { spawnNode, type Child } from '../helpers/child-process.ts';

// Issue 11's benchmark modes on tiny sizes, so that they cannot rot between benchmark runs:
// `--scale` (flat costs as one organisation grows) and `--peer` (the side-by-side with SCIMMY).
// Nothing is timed: the tests check that every row has its figures, never whether a target was met.

const serverUrl = process.env.DATABASE_URL;
/** A whole tiny run, on a busy machine. */
const RUN_WITHIN_MS = 15 * 60_000;

async function runBench(args: string[], env: NodeJS.ProcessEnv): Promise<{ rows: Row[]; text: string; results: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-bench11-test-'));
  try {
    const json = path.join(dir, 'out.json');
    const results = path.join(dir, 'RESULTS.md');
    const bench: Child = spawnNode(['bench/run.ts', ...args, '--json', json, '--results', results], env);
    try {
      const exit = await bench.waitForExit(RUN_WITHIN_MS);
      assert.equal(exit.code, 0, `bench/run.ts ${args.join(' ')} failed:\n${bench.output().slice(-4000)}`);
    } finally {
      await bench.stop();
    }
    const out = JSON.parse(fs.readFileSync(json, 'utf8')) as { rows: Row[]; text: string };
    return { ...out, results: fs.readFileSync(results, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('bench --scale on tiny organisations', {
  skip: serverUrl ? false : 'DATABASE_URL is not set: the scale benchmark runs once, in the run on the server of DATABASE_URL (which bench/ uses)',
  timeout: RUN_WITHIN_MS + 60_000,
}, () => {
  let run: Awaited<ReturnType<typeof runBench>>;
  before(async () => {
    const prefix = `idm_scale_test_${crypto.randomBytes(4).toString('hex')}`;
    run = await runBench(['--scale', '--sizes', '200,300', '--requests', '40', '--reps', '1', '--concurrency', '2', '--db', prefix], { ...process.env, DATABASE_URL: serverUrl });
  });

  it('has server and PostgreSQL CPU per request at each size for every kind of request, and a verdict on each', () => {
    const byKey = new Map(run.rows.map((r) => [r.key, r]));
    for (const kind of ['post', 'post-ext', 'bulk', 'page-index', 'page-cursor', 'patch-user', 'put-user', 'members']) {
      for (const size of [200, 300]) {
        for (const key of [`scale.${kind}.${size}`, `scale.${kind}.${size}.pg`]) {
          const row = byKey.get(key);
          assert.ok(row && typeof row.ours === 'number' && Number.isFinite(row.ours) && row.ours >= 0, `${key}: ${JSON.stringify(row)}`);
        }
      }
      // CPU is read in 10 ms ticks: on so few requests a figure may be 0, and a ratio to it has no verdict.
      const measured = [200, 300].every((size) => byKey.get(`scale.${kind}.${size}`)!.ours! > 0 && byKey.get(`scale.${kind}.${size}.pg`)!.ours! > 0);
      if (measured) assert.equal(typeof byKey.get(`scale.${kind}.ratio`)?.met, 'boolean', `scale.${kind}.ratio has no verdict`);
    }
  });

  it('writes the table and the generic plans of the statements behind it to the results file', () => {
    assert.match(run.results, /— scale run \(issue 11 item 3\)$/m);
    assert.match(run.results, /\| request \| server ms @200 \| server ms @300 \|/);
    assert.match(run.results, /### EXPLAIN: scale-pages/);
    assert.match(run.results, /user_counts/);
    assert.match(run.results, /Execution Time/);
  });
});

describe('bench --peer with a few users', {
  // It runs our server on the embedded default whatever the run's database: once is enough.
  skip: serverUrl ? 'DATABASE_URL is set: the side-by-side runs once, in the run on the embedded server' : false,
  timeout: RUN_WITHIN_MS + 60_000,
}, () => {
  let run: Awaited<ReturnType<typeof runBench>>;
  before(async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    run = await runBench(['--peer', '--peer-users', '50', '--duration', '1', '--warmup', '1', '--reps', '1', '--connections', '2'], env);
  });

  it('has lookups/s, CPU per lookup and POST/s for ours and for SCIMMY, with a verdict on each target', () => {
    const byKey = new Map(run.rows.map((r) => [r.key, r]));
    for (const key of ['peer.lookup-rps', 'peer.lookup-cpu', 'peer.post-rps']) {
      const row = byKey.get(key);
      assert.ok(row && Number.isFinite(row.ours) && row.ours! > 0 && Number.isFinite(row.floor) && row.floor! > 0, `${key}: ${JSON.stringify(row)}`);
      assert.equal(typeof row.met, 'boolean', `${key} has no verdict`);
    }
    assert.match(run.results, /side by side with SCIMMY/);
  });
});
