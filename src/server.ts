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
import path from 'node:path';

export interface RunningServer {
  server: http.Server;
  db: Db;
  url: string;
  stop: () => Promise<void>;
}

/** Opens the database, migrates, listens; resolves once accepting connections. */
export async function startServer(config: Config, log = pino({ level: config.logLevel })): Promise<RunningServer> {
  const database = await openDatabase(config, log);
  const { db } = database;
  let key: SigningKey;
  let server: http.Server;
  let requests: ReturnType<typeof trackRequests>;
  try {
    const applied = await migrate(db);
    if (applied.length) log.info({ migrations: applied }, 'migrations applied');
    key = await loadOrCreateSigningKey(config.dataDir, config.signingKey);
    const app = buildApp({ db, config, key, log, now: () => new Date() });
    requests = trackRequests(app.callback());
    server = http.createServer(requests.listener);
    server.on('connect', refuseConnect(log));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    // A start that fails (a migration, a port in use) leaves no embedded database running.
    await database.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  // Without SMTP_URL messages wait in the outbox for the operators (idm outbox).
  const worker = config.smtpUrl ? new OutboxWorker(createRepositories(db), log, { smtpUrl: config.smtpUrl, from: config.smtpFrom, siteUrl: config.publicUrl ?? url }) : undefined;
  worker?.start();
  // Change events to push receivers (SPEC §6.6); with none registered it only looks now and then.
  const pusher = new EventPushWorker(createRepositories(db), key, log, { issuer: config.issuer, leaseMs: config.eventLeaseSeconds * 1000 });
  pusher.start();
  log.info({ url, database: config.databaseUrl ? 'postgresql' : 'embedded' }, 'listening');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Answer every request already received, stop accepting (bounded by the grace period), then
    // close the database.
    stopping ??= (async () => {
      await closeGracefully(server, requests, config.shutdownGraceMs, log);
      await worker?.stop();
      await pusher.stop();
      await database.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { server, db, url, stop };
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
