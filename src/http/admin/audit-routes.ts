import Router from '@koa/router';
import type { AppDeps, AppState } from '../context.ts';

/** /admin/v1/audit: the audit trail of every organisation, for operators (SPEC §6.4). */
export function adminAuditRoutes(_deps: AppDeps): Router<AppState> {
  return new Router<AppState>();
}
