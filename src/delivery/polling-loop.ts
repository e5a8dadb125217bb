import type { Logger } from 'pino';

/**
 * Runs `work` again and again, `intervalMs` apart after each run ends, until stopped; `stop`
 * waits for the run under way. The outbox worker and the event push worker share it. A run that
 * reports more work left (returns true) is followed at once.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<boolean | void>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      let again = false;
      this.running = this.work()
        .then((more) => void (again = more === true), (err) => this.log.error({ err }, `${this.what} failed`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, again ? 0 : this.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Exponential backoff: `baseMs` doubled per attempt after the first, capped at `capMs`. With
 * `random`, "equal jitter": half the delay fixed, half random, so receivers that failed together
 * are not retried together.
 */
export function backoffMs(attempts: number, baseMs: number, capMs: number, random?: () => number): number {
  const delay = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), capMs);
  return random ? Math.round(delay / 2 + random() * (delay / 2)) : delay;
}
