import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../src/server.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createTestDb } from './test-db.ts';
import { runFile } from './child-process.ts';
import { IDM } from './cli-server.ts';
import { startSmtp, type SmtpRecorder } from './smtp.ts';

/** A real server with its outbox delivered to a local SMTP recorder, for the browser tests and `idm`. */
export interface WebServer {
  url: string;
  smtp: SmtpRecorder;
  idm: (...args: string[]) => Promise<string>;
  /** Another server process on the same database, with other settings (a short idle timeout). */
  sibling: (overrides: Partial<Config>) => Promise<RunningServer>;
  stop: () => Promise<void>;
}

export async function startWebServer(overrides: Partial<Config> = {}): Promise<WebServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-web-'));
  const testDb = await createTestDb();
  await testDb.db.destroy();
  const stops: (() => Promise<void>)[] = [async () => {
    await testDb.drop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const smtp = await startSmtp();
    stops.push(smtp.stop);
    const config: Config = { ...loadConfig({}), dataDir, port: 0, databaseUrl: testDb.url, smtpUrl: smtp.url, authRateLimitPerMinute: 0, ...overrides };
    const log = pino({ level: 'silent' });
    const server = await startServer(config, log);
    stops.push(server.stop);
    const env = { ...process.env, DATA_DIR: dataDir, IDM_URL: server.url, DATABASE_URL: testDb.url, IDM_OPERATOR: 'op:webbtest' };
    return {
      url: server.url,
      smtp,
      idm: async (...args) => (await runFile(process.execPath, [IDM, ...args], { env })).stdout,
      sibling: async (more) => {
        const other = await startServer({ ...config, ...more }, log);
        stops.push(other.stop);
        return other;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
