import Router from '@koa/router';
import type { AppDeps, AppState } from '../context.ts';
import { auditRoutes } from './audit-routes.ts';
import { usersCsvRoutes } from './users-csv-routes.ts';

/** /api/v1: admin extras (SPEC §6.3), for admin and operator tokens naming an organisation. */
export function apiRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  for (const child of [auditRoutes(deps), usersCsvRoutes(deps)]) router.use(child.routes());
  return router;
}
