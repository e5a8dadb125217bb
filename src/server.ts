import http from 'node:http';
import pino from 'pino';
import { loadConfig, type Config } from './config/config.ts';
import { openDatabase, migrate, type Db } from './store/db.ts';
import { createRepositories } from './store/repositories.ts';
import { loadOrCreateSigningKey } from './auth/signing-key.ts';
import { buildApp } from './app.ts';
import { OutboxWorker } from './delivery/outbox-worker.ts';
import { closeGracefully, trackRequests } from './http/draining.ts';
import { refuseConnect } from './http/connect-refusal.ts';
import { Readiness } from './http/readiness.ts';
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
  let server: http.Server | undefined;
  let requests: ReturnType<typeof trackRequests>;
  let url: string;
  try {
    const key = await loadOrCreateSigningKey(config.dataDir, config.signingKey);
    const app = buildApp({ db, config, key, log, now: () => new Date(), readiness });
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
      await database.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { server: listening, db, url, beginDraining: () => readiness.draining(), stop };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href;
if (isMain) {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
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
