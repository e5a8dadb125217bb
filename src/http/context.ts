import type Koa from 'koa';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { SigningKey } from '../auth/signing-key.ts';
import type { Principal } from '../auth/tokens.ts';

/** What the app is built from; tests build it with their own database, key and clock. */
export interface AppDeps {
  db: Knex;
  config: Config;
  key: SigningKey;
  log: Logger;
  now: () => Date;
}

export interface AppState {
  requestId: string;
  principal?: Principal;
}

export type AppContext = Koa.ParameterizedContext<AppState>;
