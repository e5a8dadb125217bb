import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import pino from 'pino';
import { loadConfig, type Config } from './config/config.ts';
import { openDatabase, migrate, type Db } from './store/db.ts';
import { createRepositories } from './store/repositories.ts';
import { loadOrCreateSigningKey, type SigningKey } from './auth/signing-key.ts';
import { buildApp } from './app.ts';
import { OutboxWorker } from './delivery/outbox-worker.ts';
import { EventPushWorker } from './events/push-worker.ts';
import { closeGracefully, trackRequests } from './http/draining.ts';
import { refuseConnect } from './http/connect-refusal.ts';
import { Readiness } from './http/readiness.ts';
import { createCaches } from './http/context.ts';
import { listenForStaleCaches, type CacheListener } from './store/cache-notifications.ts';
import path from 'node:path';

export interface RunningServer {
  server: http.Server;
  db: Db;
  url: string;
  /** Fails /readyz from now on (a load balancer stops sending traffic); requests are still served. */
  beginDraining: () => void;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** Called once the server listens, before the migrations run (/readyz answers 503 until they are done). */
  onListening?: (url: string) => void;
}

/**
 * Opens the database, listens, migrates; resolves once migrated and ready. It listens first so
 * that a load balancer's /readyz hears "migrating" (503) rather than nothing while migrations
 * run, or wait for another process's.
 */
export async function startServer(config: Config, log = pino({ level: config.logLevel }), options: StartOptions = {}): Promise<RunningServer> {
  const database = await openDatabase(config, log);
  const { db } = database;
  const readiness = new Readiness('migrating');
  // Kept here, not in the app, so that notifications from other processes can clear them.
  const caches = createCaches(config.cacheSeconds * 1000);
  let listener: CacheListener | undefined;
  let server: http.Server | undefined;
  let requests: ReturnType<typeof trackRequests>;
  let url: string;
  let key: SigningKey;
  try {
    key = await loadOrCreateSigningKey(config.dataDir, config.signingKey);
    const app = buildApp({ db, config, key, log, now: () => new Date(), readiness, caches });
    requests = trackRequests(app.callback());
    const listening = http.createServer(requests.listener);
    server = listening;
    listening.on('connect', refuseConnect(log));
    listening.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(config.port, config.host, () => resolve());
    });
    const address = listening.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    url = `http://${config.host}:${port}`;
    log.info({ url }, 'accepting connections; migrating');
    options.onListening?.(url);
    const applied = await migrate(db);
    if (applied.length) log.info({ migrations: applied }, 'migrations applied');
    // A token revoked or an organisation changed through any process is forgotten by this one at once.
    listener = await listenForStaleCaches(db, () => caches.invalidate(), log);
  } catch (err) {
    // A start that fails (a migration, a port in use) leaves no embedded database running.
    if (server?.listening) await new Promise((resolve) => server!.close(resolve));
    await database.close();
    throw err;
  }
  const listening = server;
  readiness.ready();
  // Without SMTP_URL messages wait in the outbox for the operators (idm outbox).
  const worker = config.smtpUrl ? new OutboxWorker(createRepositories(db), log, { smtpUrl: config.smtpUrl, from: config.smtpFrom, siteUrl: config.publicUrl ?? url }) : undefined;
  worker?.start();
  // Change events to push receivers (SPEC §6.6); with none registered it only looks now and then.
  const pusher = new EventPushWorker(createRepositories(db), key, log, { issuer: config.issuer, leaseMs: config.eventLeaseSeconds * 1000 });
  pusher.start();
  log.info({ url, database: config.databaseUrl ? 'postgresql' : 'embedded' }, 'listening');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Fail readiness, keep serving for SHUTDOWN_DELAY_MS so a load balancer notices, then answer
    // every request already received, stop accepting (bounded by the grace period), and close
    // the database.
    stopping ??= (async () => {
      readiness.draining();
      if (config.shutdownDelayMs > 0) {
        log.info({ delayMs: config.shutdownDelayMs }, 'not ready; serving until the delay is over');
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      }
      await closeGracefully(listening, requests, config.shutdownGraceMs, log);
      await worker?.stop();
      await pusher.stop();
      await listener?.stop();
      await database.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { server: listening, db, url, beginDraining: () => readiness.draining(), stop };
}

/** One process serving until SIGTERM/SIGINT: `npm start`, or a worker of WORKERS=N. */
function runOne(config: Config, log: pino.Logger): void {
  const starting = startServer(config, log);
  // Handlers go in before the server starts listening, so a signal that arrives right after
  // "listening" is logged still shuts down gracefully instead of killing the process. They stay
  // in place: npm passes a terminal's Ctrl-C on as a second SIGINT, which must not cut the drain
  // short (it is bounded by SHUTDOWN_GRACE_MS).
  let shuttingDown = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (shuttingDown) {
        log.info({ signal }, 'already shutting down');
        return;
      }
      shuttingDown = true;
      log.info({ signal }, 'shutting down');
      starting
        .then((running) => running.stop())
        .then(() => process.exit(0), (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        });
    });
  }
  starting.catch((err) => {
    log.fatal({ err }, 'could not start');
    process.exit(1);
  });
}

/**
 * WORKERS=N: node's cluster, N processes sharing the listening socket (the primary hands each
 * new connection to the next worker). Each is a whole server; they share nothing but the
 * database, and LISTEN/NOTIFY keeps their caches honest. A signal to the primary is passed to
 * every worker, which drains as one process would; the primary ends when they all have.
 */
function runWorkers(workers: number, log: pino.Logger): void {
  let shuttingDown = false;
  const live = new Set<Worker>();
  const stopAll = () => {
    for (const worker of live) worker.process.kill('SIGTERM');
  };
  for (let i = 0; i < workers; i++) live.add(cluster.fork());
  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    if (!shuttingDown) {
      // A worker that could not start (a port in use, a database refused) would fail again at
      // once, and one that died leaves a server other than the one asked for: all stop.
      log.error({ pid: worker.process.pid, code, signal }, 'a worker ended; stopping the others');
      shuttingDown = true;
      process.exitCode = 1;
      stopAll();
    }
    if (live.size === 0) process.exit();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ signal, workers }, 'shutting down the workers');
      stopAll();
    });
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href;
if (isMain) {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  if (config.workers > 1 && !config.databaseUrl) {
    // The embedded database belongs to one process (DATA_DIR is locked by it).
    log.fatal(`WORKERS=${config.workers} needs DATABASE_URL: the embedded database serves one process. Set DATABASE_URL to a PostgreSQL server (README: "Moving to PostgreSQL" moves the embedded data there), or start without WORKERS`);
    process.exit(1);
  }
  if (config.workers > 1 && cluster.isPrimary) runWorkers(config.workers, log);
  else runOne(config, log);
}
