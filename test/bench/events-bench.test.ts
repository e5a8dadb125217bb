import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnNode } from '../helpers/child-process.ts';

const skip = process.env.DATABASE_URL ? false : 'DATABASE_URL is not set: the benchmark machinery runs once, in the run on the server of DATABASE_URL (which bench/ uses)';

describe('npm run bench -- --events on a few changes', { skip }, () => {
  it('delivers the whole backlog, measures both write runs and prints the section', async () => {
    const bench = spawnNode(['bench/run.ts', '--events', '--changes', '300', '--duration', '1', '--reps', '1', '--no-results'], process.env);
    const exit = await bench.waitForExit();
    const output = bench.output();
    assert.equal(exit.code, 0, output.slice(-3000));
    assert.match(output, /delivery: 300 events in [\d.]+ s = \d+ events\/s/);
    assert.match(output, /POST \/Users with no receiver: \d+ req\/s/);
    assert.match(output, /POST \/Users with one receiver: \d+ req\/s/);
    assert.match(output, /\| one ÷ none \| [\d.]+ × \| ≥ 0\.90 × \| (met|not met) \|/);
  });
});
