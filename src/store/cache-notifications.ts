import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * The channel on which a write tells every server process that what they keep in memory about
 * tokens and organisations is stale (a revocation, a deactivation, a new school form).
 */
export const CACHE_CHANNEL = 'idm_caches';

/**
 * Sent in the writer's transaction: PostgreSQL delivers a NOTIFY at commit, and not at all on
 * rollback, so no process forgets too early or for nothing.
 */
export async function notifyCachesStale(db: Knex, what: string): Promise<void> {
  await db.raw('select pg_notify(?, ?)', [CACHE_CHANNEL, what]);
}

export interface CacheListener {
  stop: () => Promise<void>;
}

// After a lost connection: the first retry at once, then at most every 5 s.
const RETRY_MS = [0, 500, 1_000, 2_000, 5_000];

/**
 * LISTENs on a connection of its own (outside the pool: a pooled connection is shared and its
 * LISTEN would not survive a reset). Every notification calls `stale`. When the connection is
 * lost, notifications may have been missed meanwhile: `stale` is called again once listening
 * again, and the caches' time-to-live bounds what was missed until then.
 */
export async function listenForStaleCaches(db: Knex, stale: () => void, log: Logger): Promise<CacheListener> {
  const config = db.client.config.connection as pg.ClientConfig;
  let client: pg.Client | undefined;
  let stopped = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client(config);
    next.on('notification', () => stale());
    next.on('error', (err) => log.warn({ err }, 'cache notifications: connection lost'));
    next.on('end', () => {
      if (stopped) return;
      client = undefined;
      retry();
    });
    await next.connect();
    await next.query(`listen ${CACHE_CHANNEL}`);
    client = next;
  };
  const retry = () => {
    const wait = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)];
    timer = setTimeout(() => {
      connect().then(
        () => {
          attempt = 0;
          log.info('cache notifications: listening again');
          stale();
        },
        (err) => {
          log.warn({ err }, 'cache notifications: could not listen');
          if (!stopped) retry();
        },
      );
    }, wait);
    timer.unref();
  };

  await connect();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
