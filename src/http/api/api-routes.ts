import Router from '@koa/router';
import type { AppDeps, AppState } from '../context.ts';

/** /api/v1: admin extras (SPEC §6.3), for admin and operator tokens naming an organisation. */
export function apiRoutes(_deps: AppDeps): Router<AppState> {
  return new Router<AppState>();
}
