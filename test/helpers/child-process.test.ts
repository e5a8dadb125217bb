import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runFile, spawnChild, spawnNode } from './child-process.ts';
import { waitUntil } from './wait.ts';

// Issue 10, items 12 and 13: a test that gives up must not leave its child running, nor wait for
// it. These check the helpers every test uses to start processes.

/** A node program that ignores SIGTERM and never ends by itself, and says when it runs. */
const STUBBORN = "process.on('SIGTERM', () => console.log('ignored SIGTERM')); setInterval(() => {}, 1000); console.log('running');";

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('test helpers end every process they start', () => {
  it('stop() kills a child that ignores SIGTERM, once the grace is over', async () => {
    const child = spawnChild(process.execPath, ['-e', STUBBORN]);
    try {
      await child.waitForOutput(/running/, 'the child to run');
      await child.stop(1);
      assert.equal(child.exit()?.signal, 'SIGKILL');
      assert.match(child.output(), /ignored SIGTERM/);
      assert.equal(isAlive(child.pid), false);
    } finally {
      await child.stop();
    }
  });

  it('a test process that abandons its child neither waits for it nor leaves it running', async () => {
    // The "test": starts a stubborn child through the helper, prints its pid and walks away
    // without stopping it — what a test cut short by its timeout does.
    const abandon = [
      "import { spawnChild } from './test/helpers/child-process.ts';",
      `const child = spawnChild(process.execPath, ['-e', ${JSON.stringify(STUBBORN)}]);`,
      "await child.waitForOutput(/running/, 'the child to run');",
      'console.log(`child ${child.pid}`);',
    ].join('\n');
    const test = spawnNode(['--input-type=module', '-e', abandon], process.env);
    try {
      const exit = await test.waitForExit();
      assert.equal(exit.code, 0, test.output());
      const pid = Number(/child (\d+)/.exec(test.output())?.[1]);
      assert.ok(pid > 0, test.output());
      await waitUntil(() => !isAlive(pid), `the abandoned child ${pid} to be gone`);
    } finally {
      await test.stop();
    }
  });

  it('waitForOutput fails, naming what it waited for, when the child exits first', async () => {
    const child = spawnChild(process.execPath, ['-e', "console.log('bye')"]);
    try {
      await assert.rejects(child.waitForOutput(/never printed/, 'the word that never comes'), /exited \(0\) before the word that never comes/);
    } finally {
      await child.stop();
    }
  });

  it('runFile kills a program that outlives its timeout', async () => {
    await assert.rejects(runFile(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 100 }), (err: { killed?: boolean; signal?: string }) => {
      assert.equal(err.killed, true);
      assert.equal(err.signal, 'SIGKILL');
      return true;
    });
  });
});
