import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { tenantRequest } from '../scim/tenant.ts';
import { userExportCsv, userExportFileName } from '../../domain/user-export-csv.ts';

/** GET /api/v1/users.csv (SPEC §6.3): the organisation's users as CSV, streamed. */
export function usersCsvRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/users.csv', async (ctx: AppContext) => {
    const req = await tenantRequest(ctx, deps);
    ctx.body = await userExportCsv(req, (err) => deps.log.error({ err, requestId: ctx.state.requestId }, 'user export failed while streaming'));
    ctx.status = 200;
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="${userExportFileName(req.org.id)}"`);
    ctx.set('Cache-Control', 'no-store');
  });

  return router;
}
