import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { allOrganisationsAuditPage } from '../../domain/audit.ts';
import { parseAuditParams } from '../api/audit-params.ts';
import { sendAuditPage } from '../api/audit-listing.ts';

/**
 * GET /admin/v1/audit: the audit trail of every organisation, for operators (SPEC §6.4); the same
 * parameters and body as /api/v1/audit, plus `organisationId`.
 */
export function adminAuditRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/audit', async (ctx: AppContext) => {
    const params = parseAuditParams(ctx.query, { scope: 'all', organisationFilter: true });
    const page = await allOrganisationsAuditPage(deps.repos, params.filter, params.after, params.count);
    sendAuditPage(ctx, page, params.fingerprint);
  });

  return router;
}
