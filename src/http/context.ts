import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { SigningKey } from '../auth/signing-key.ts';
import type { Principal } from '../model/principal.ts';
import { TtlCache } from '../auth/ttl-cache.ts';
import type { Organisation } from '../model/organisation.ts';
import type { Repositories } from '../store/repositories.ts';
import type { PasswordHasher } from '../domain/password-hash.ts';
import type { Readiness } from './readiness.ts';

/**
 * Short-lived caches of what almost every request reads. Operator writes in this process clear
 * them (invalidate); other processes see a change within the time-to-live.
 */
export interface AppCaches {
  principals: TtlCache<Principal>;
  organisations: TtlCache<Organisation>;
  invalidate: () => void;
}

/** What the routers are built from (app.ts builds the repositories from the database it is given). */
export interface AppDeps {
  repos: Repositories;
  config: Config;
  key: SigningKey;
  log: Logger;
  now: () => Date;
  caches?: AppCaches;
  /** The slow hashing of sign-in; scrypt unless a test hands in one that counts. */
  hasher?: PasswordHasher;
  /** Whether the process takes traffic (server.ts: migrating, draining); always, when absent. */
  readiness?: Readiness;
}

export function createCaches(ttlMs: number): AppCaches {
  const principals = new TtlCache<Principal>(ttlMs);
  const organisations = new TtlCache<Organisation>(ttlMs);
  return {
    principals,
    organisations,
    invalidate: () => {
      principals.clear();
      organisations.clear();
    },
  };
}

export interface AppState {
  requestId: string;
  /** Where clients reach this server: IDM_PUBLIC_URL, or this request's protocol and Host. */
  publicUrl: string;
  principal?: Principal;
}

export type AppContext = Koa.ParameterizedContext<AppState>;
