import Router from '@koa/router';
import type { AppDeps, AppState } from '../context.ts';

/** Operator API for administrators, terminations, purge and the outbox (SPEC §6.4). */
export function domainAdminRoutes(_deps: AppDeps): Router<AppState> {
  return new Router<AppState>();
}
