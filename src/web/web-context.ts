import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Repositories } from '../store/repositories.ts';
import type { PasswordHasher } from '../domain/password-hash.ts';
import type { SessionSettings } from '../domain/sign-in.ts';
import type { Principal } from '../model/principal.ts';

/** What the pages are built from: the same repositories, clock and hashing as the APIs. */
export interface WebDeps {
  repos: Repositories;
  config: Config;
  log: Logger;
  now: () => Date;
  hasher?: PasswordHasher;
  sessions: SessionSettings;
  /** The /auth limit per client address, shared with the sign-in API so the pages add no second allowance. */
  authLimit: Koa.Middleware<WebState>;
}

/** The signed-in person of a page request. */
export interface WebSession {
  token: string;
  principal: Principal;
}

export interface WebState {
  requestId: string;
  publicUrl: string;
  /** The CSRF token every form of this response carries (SPEC §6.5). */
  csrf: string;
  session?: WebSession;
}

export type WebContext = Koa.ParameterizedContext<WebState>;
