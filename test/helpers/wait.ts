/**
 * How long a test waits for something that happens unless the code is broken: minutes, because
 * the machine may be busy with other work. Waits poll for the condition; none guesses a delay.
 */
export const PATIENCE_MS = 5 * 60_000;

/** Polls `check` until it holds; fails naming `what` when it has not after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = PATIENCE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The same without yielding to the event loop, for a test that must keep an in-process server
 * from reading its sockets while it checks them.
 */
export function waitUntilBlocking(check: () => boolean, what: string, timeoutMs = PATIENCE_MS): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    Atomics.wait(pause, 0, 0, 5);
  }
}
