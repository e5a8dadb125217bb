import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendScim } from '../respond.ts';
import { baseUrlOf, tenantRequest, writeContextOf } from './tenant.ts';
import { sendListing } from './list-handler.ts';
import { userActions, userResource, type WriteContext, type WriteResult } from '../../domain/resource-actions.ts';
import { schemaRegistry } from '../../scim/schema-registry.ts';
import { parseProjection, project } from '../../scim/projection.ts';
import { etagOf, renderUser } from '../../scim/render.ts';
import { getUser } from '../../domain/users-service.ts';
import { ifNoneMatchHits } from '../../domain/versioning.ts';

/** RFC 7644 §3.3–§3.6 for /Users: decode, call the domain, encode. */
export function usersRoutes(deps: AppDeps): Router<AppState> {
  const registry = schemaRegistry();
  const router = new Router<AppState>();

  const writeContext = (ctx: AppContext) => writeContextOf(ctx, deps);

  const respond = (ctx: AppContext, c: WriteContext, result: WriteResult) => {
    if (result.kind !== 'user') {
      ctx.status = result.status;
      return;
    }
    const projection = parseProjection(registry, 'User', ctx.query.attributes, ctx.query.excludedAttributes);
    const headers: Record<string, string> = { ETag: result.etag };
    if (result.status === 201) headers.Location = result.location;
    sendScim(ctx, result.status, project(registry, 'User', userResource(c, result), projection), headers);
  };

  router.get('/Users', async (ctx: AppContext) => sendListing(ctx, deps, 'User', ctx.query));

  router.get('/Users/:id', async (ctx: AppContext) => {
    const projection = parseProjection(registry, 'User', ctx.query.attributes, ctx.query.excludedAttributes);
    const req = await tenantRequest(ctx, deps);
    const user = await getUser(req, ctx.params.id);
    const etag = etagOf(user.row.version);
    if (ifNoneMatchHits(ctx.get('If-None-Match'), etag)) {
      ctx.status = 304;
      ctx.set('ETag', etag);
      return;
    }
    sendScim(ctx, 200, project(registry, 'User', renderUser(user.row, user.memberships, req.org, baseUrlOf(ctx)), projection), { ETag: etag });
  });

  router.post('/Users', async (ctx: AppContext) => {
    const body = await readJson(ctx, deps.config.maxBodyBytes);
    const c = await writeContext(ctx);
    respond(ctx, c, await userActions.create(c, body));
  });

  router.put('/Users/:id', async (ctx: AppContext) => {
    const body = await readJson(ctx, deps.config.maxBodyBytes);
    const c = await writeContext(ctx);
    respond(ctx, c, await userActions.replace(c, ctx.params.id, body));
  });

  router.patch('/Users/:id', async (ctx: AppContext) => {
    const body = await readJson(ctx, deps.config.maxBodyBytes);
    const c = await writeContext(ctx);
    respond(ctx, c, await userActions.patch(c, ctx.params.id, body));
  });

  router.delete('/Users/:id', async (ctx: AppContext) => {
    const c = await writeContext(ctx);
    respond(ctx, c, await userActions.delete(c, ctx.params.id));
  });

  return router;
}
