import { Writable } from 'node:stream';
import crypto from 'node:crypto';
import pino from 'pino';
import supertest from 'supertest';
import { exportJWK, generateKeyPair } from 'jose';
import { buildApp, TOKEN_LEEWAY_SECONDS } from '../../src/app.ts';
import type { AppDeps } from '../../src/http/context.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { readSigningKey, type SigningKey } from '../../src/auth/signing-key.ts';
import { signToken, type Role } from '../../src/auth/tokens.ts';
import { createTestDb, type TestDb } from './test-db.ts';
import { recordLogLine, recordSecret } from './secrets.ts';

/** Every log line any test app wrote, so a test can check that no secret reached the log. */
export const capturedLogs: string[] = [];

export async function generateJwk(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'test', alg: 'ES256' });
}

export interface TestApp {
  request: ReturnType<typeof supertest.agent> extends infer _T ? supertest.Agent : never;
  http: () => supertest.Agent;
  /** The app's request handler, for a test that serves it on a socket of its own. */
  callback: ReturnType<ReturnType<typeof buildApp>['callback']>;
  testDb: TestDb;
  key: SigningKey;
  config: Config;
  clock: { now: Date };
  /** A signed token for the given role; an organisation is needed except for operator. */
  token: (role: Role, orgId?: string, subject?: string) => Promise<string>;
  operatorToken: () => Promise<string>;
  /** Creates an organisation through the operator API and returns its JSON. */
  createOrg: (body?: Record<string, unknown>) => Promise<Record<string, any>>;
  close: () => Promise<void>;
}

/** `deps` replaces parts the app is built from, e.g. a password hasher that counts its calls. */
export async function createTestApp(overrides: Partial<Config> = {}, deps: Pick<AppDeps, 'hasher'> = {}): Promise<TestApp> {
  const testDb = await createTestDb();
  const jwk = await generateJwk();
  const config: Config = { ...loadConfig({}), signingKey: jwk, ...overrides };
  const key = await readSigningKey('/nonexistent', jwk);
  const clock = { now: new Date() };
  const sink = new Writable({
    write(chunk, _enc, done) {
      capturedLogs.push(String(chunk));
      recordLogLine(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  // The clock follows real time unless a test sets clock.now explicitly (then it stays put).
  let pinned = false;
  const now = () => (pinned ? clock.now : new Date());
  const clockProxy = {
    get now() {
      return now();
    },
    set now(value: Date) {
      pinned = true;
      clock.now = value;
    },
  };
  const app = buildApp({ db: testDb.db, config, key, log, now, ...deps });
  const server = app.callback();
  const http = () => supertest.agent(server);
  const settings = { issuer: config.issuer, audience: config.audience, leewaySeconds: TOKEN_LEEWAY_SECONDS };
  const token = async (role: Role, orgId?: string, subject = `${role}-tester`) =>
    recordSecret((await signToken(key, settings, { role, orgId, subject, ttlSeconds: 600, jti: crypto.randomUUID() }, now().getTime())).token);
  const operatorToken = () => token('operator');
  const createOrg = async (body: Record<string, unknown> = {}) => {
    const res = await http()
      .post('/admin/v1/organisations')
      .set('Authorization', `Bearer ${await operatorToken()}`)
      .send({ name: 'Exempelgymnasiet', type: 'school', schoolForm: 'gymnasieskola', ...body });
    if (res.status !== 201) throw new Error(`createOrg failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    request: http(),
    http,
    callback: server,
    testDb,
    key,
    config,
    clock: clockProxy,
    token,
    operatorToken,
    createOrg,
    close: () => testDb.drop(),
  };
}
