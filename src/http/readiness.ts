/**
 * Whether this process should be sent traffic, for a load balancer's `/readyz` (the database
 * being reachable is checked there, per request). A process is not ready while its migrations
 * run (they may wait for another process's) and from the moment it begins to shut down.
 */
export type NotReady = 'migrating' | 'draining';

const DETAIL: Record<NotReady, string> = {
  migrating: 'database migrations are running',
  draining: 'the server is shutting down',
};

export class Readiness {
  private state: NotReady | undefined;

  constructor(initial?: NotReady) {
    this.state = initial;
  }

  /** Why not, or undefined when nothing in this process stands in the way. */
  get notReady(): { reason: NotReady; detail: string } | undefined {
    return this.state ? { reason: this.state, detail: DETAIL[this.state] } : undefined;
  }

  /** While migrations run, only the health routes are served: the schema is not the code's yet. */
  get servesRequests(): boolean {
    return this.state !== 'migrating';
  }

  ready(): void {
    this.state = undefined;
  }

  draining(): void {
    this.state = 'draining';
  }
}
