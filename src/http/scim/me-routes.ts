import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { sendScim } from '../respond.ts';
import { baseUrlOf, tenantRequest } from './tenant.ts';
import { schemaRegistry } from '../../scim/schema-registry.ts';
import { parseProjection, project } from '../../scim/projection.ts';
import { etagOf, renderUser } from '../../scim/render.ts';
import { notFound } from '../../scim/scim-error.ts';
import { getUser } from '../../domain/users-service.ts';

/** RFC 7644 §3.11: /Me is the user a session token belongs to. Other tokens stand for no user. */
export function meRoutes(deps: AppDeps): Router<AppState> {
  const registry = schemaRegistry();
  const router = new Router<AppState>();
  router.get('/Me', async (ctx: AppContext) => {
    const session = ctx.state.principal?.session;
    if (!session) throw notFound('this token belongs to no user: /Me answers for a session token from POST /auth/login');
    const projection = parseProjection(registry, 'User', ctx.query.attributes, ctx.query.excludedAttributes);
    const req = await tenantRequest(ctx, deps);
    const user = await getUser(req, session.userId);
    const resource = renderUser(user.row, user.memberships, req.org, baseUrlOf(ctx));
    sendScim(ctx, 200, project(registry, 'User', resource, projection), { ETag: etagOf(user.row.version) });
  });
  return router;
}
