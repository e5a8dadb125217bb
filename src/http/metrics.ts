import client from 'prom-client';

// One registry per process: metrics describe the process, whichever app instances it runs. Every
// series carries the process (its pid), so several processes behind one scrape address (or one
// load balancer) are told apart and summed by the one who reads them.
export const registry = new client.Registry();
registry.setDefaultLabels({ process: String(process.pid) });
client.collectDefaultMetrics({ register: registry });

const requestDuration = new client.Histogram({
  name: 'idm_http_request_duration_seconds',
  help: 'HTTP request duration by method, route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export function observeRequest(method: string, route: string, status: number, seconds: number): void {
  requestDuration.observe({ method, route, status: String(status) }, seconds);
}

/** How long a scrape waits for the database before it leaves the database's gauges out. */
const DATABASE_GAUGE_MS = 2_000;

/** `work`, or a rejection once `ms` have passed. */
export function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** What the database gauges are read from, at each scrape. */
export interface DatabaseGauges {
  pool: () => { used: number; free: number; pending: number; max: number };
  outboxBacklog: () => Promise<number>;
}

// The app built last in this process is the one measured (a server builds one; tests build many).
let source: DatabaseGauges | undefined;

export function measureDatabase(gauges: DatabaseGauges): void {
  source = gauges;
}

new client.Gauge({
  name: 'idm_db_pool_connections',
  help: 'Database connections of this process by state: used (lent out), free (idle), pending (callers waiting for one)',
  labelNames: ['state'],
  registers: [registry],
  collect() {
    const pool = source?.pool();
    if (!pool) return;
    for (const state of ['used', 'free', 'pending'] as const) this.set({ state }, pool[state]);
  },
});

new client.Gauge({
  name: 'idm_db_pool_max_connections',
  help: 'The most database connections this process opens',
  registers: [registry],
  collect() {
    const pool = source?.pool();
    if (pool) this.set(pool.max);
  },
});

new client.Gauge({
  name: 'idm_outbox_backlog',
  help: 'Letters and e-mails in the outbox not yet delivered (status pending)',
  registers: [registry],
  async collect() {
    if (!source) return;
    // A scrape must answer even when the database does not: the gauge is then left out.
    try {
      this.set(await within(DATABASE_GAUGE_MS, source.outboxBacklog()));
    } catch {
      this.reset();
    }
  },
});
