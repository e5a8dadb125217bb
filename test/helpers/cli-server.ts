import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../src/server.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createTestDb, type TestDb } from './test-db.ts';
import { runFile } from './child-process.ts';

export const IDM = path.resolve('bin/idm.js');

/** A real server for `idm` to talk to, on a throwaway database of the test run's server. */
export interface CliServer {
  server: RunningServer;
  dataDir: string;
  /** The environment `idm` runs with: the server's DATA_DIR (its key) and URL. */
  env: NodeJS.ProcessEnv;
  idm: (...args: string[]) => Promise<{ stdout: string; stderr: string }>;
  stop: () => Promise<void>;
}

export async function startCliServer(operator: string): Promise<CliServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-cli-'));
  const testDb: TestDb = await createTestDb();
  await testDb.db.destroy();
  const databaseUrl = testDb.url;
  const server = await startServer({ ...loadConfig({}), dataDir, port: 0, databaseUrl }, pino({ level: 'silent' }));
  const env = { ...process.env, DATA_DIR: dataDir, IDM_URL: server.url, DATABASE_URL: databaseUrl, IDM_OPERATOR: operator };
  return {
    server,
    dataDir,
    env,
    idm: (...args) => runFile(process.execPath, [IDM, ...args], { env }),
    stop: async () => {
      await server.stop();
      await testDb.drop().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
