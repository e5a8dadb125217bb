import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { tenantOf } from '../middleware/authenticate.ts';
import { organisationAuditPage } from '../../domain/audit.ts';
import { parseAuditParams } from './audit-params.ts';
import { sendAuditPage } from './audit-listing.ts';

/** GET /api/v1/audit: the audit trail of the token's organisation, newest first (SPEC §6.3). */
export function auditRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/audit', async (ctx: AppContext) => {
    const orgId = tenantOf(ctx);
    const params = parseAuditParams(ctx.query, { scope: `org:${orgId}`, organisationFilter: false });
    const page = await organisationAuditPage(deps.repos, orgId, params.filter, params.after, params.count);
    sendAuditPage(ctx, page, params.fingerprint);
  });

  return router;
}
