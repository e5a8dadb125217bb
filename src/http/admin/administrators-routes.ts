import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { operatorInOrganisation, type TenantRequest } from '../../domain/tenant-request.ts';
import { adminToJson, getAdmin, grantAdmin, listAdmins, parseDeclaration, revokeAdmin, swedishDate } from '../../domain/administrators.ts';
import { actingOf } from './actor.ts';

/** SPEC §3.5: administrators and their declarations, for operators. */
export function administratorsRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  /** The operator acting in the organisation of the path, as the domain's tenant request. */
  const inOrganisation = (ctx: AppContext): Promise<TenantRequest> => operatorInOrganisation(deps.repos, ctx.params.orgId, actingOf(ctx, deps));

  router.get('/organisations/:orgId/administrators', async (ctx: AppContext) => {
    const req = await inOrganisation(ctx);
    sendJson(ctx, 200, (await listAdmins(req)).map((a) => adminToJson(req.org.id, a)));
  });

  router.get('/organisations/:orgId/administrators/:userId', async (ctx: AppContext) => {
    const req = await inOrganisation(ctx);
    sendJson(ctx, 200, adminToJson(req.org.id, await getAdmin(req, ctx.params.userId)));
  });

  router.post('/organisations/:orgId/administrators', async (ctx: AppContext) => {
    const body = await readJson(ctx, deps.config.maxBodyBytes);
    const req = await inOrganisation(ctx);
    const admin = await grantAdmin(req, parseDeclaration(body, req.org.type, swedishDate(req.now)));
    ctx.set('Location', `/admin/v1/organisations/${req.org.id}/administrators/${admin.user_id}`);
    sendJson(ctx, 201, adminToJson(req.org.id, admin));
  });

  router.delete('/organisations/:orgId/administrators/:userId', async (ctx: AppContext) => {
    await revokeAdmin(await inOrganisation(ctx), ctx.params.userId);
    ctx.status = 204;
  });

  return router;
}
