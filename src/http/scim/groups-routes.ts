import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { SCIM_CONTENT_TYPE } from '../respond.ts';
import { readableFrom } from '../stream-json.ts';
import { baseUrlOf, tenantRequest, writeContextOf } from './tenant.ts';
import { sendListing } from './list-handler.ts';
import { groupActions, type WriteContext, type WriteResult } from '../../domain/resource-actions.ts';
import { schemaRegistry } from '../../scim/schema-registry.ts';
import { parseProjection, type Projection } from '../../scim/projection.ts';
import { etagOf } from '../../scim/render.ts';
import { getGroup } from '../../domain/groups-service.ts';
import { ifNoneMatchHits } from '../../domain/versioning.ts';
import type { TenantRequest } from '../../domain/tenant-request.ts';
import type { Group } from '../../model/group.ts';
import { groupBody } from './group-body.ts';

export function groupsRoutes(deps: AppDeps): Router<AppState> {
  const registry = schemaRegistry();
  const router = new Router<AppState>();

  const writeContext = (ctx: AppContext) => writeContextOf(ctx, deps);

  const sendGroup = (ctx: AppContext, req: TenantRequest, row: Group, projection: Projection) => {
    ctx.status = 200;
    ctx.set('ETag', etagOf(row.version));
    ctx.type = SCIM_CONTENT_TYPE;
    ctx.body = readableFrom(groupBody(req, row, baseUrlOf(ctx), projection));
  };

  const respond = (ctx: AppContext, c: WriteContext, result: WriteResult, alwaysBody: boolean) => {
    if (result.kind !== 'group') return;
    // RFC 7644 §3.5.2: 200 with the whole resource, or 204. A group can have 100,000 members, so
    // after a PATCH the resource is returned only when the client asks for it with
    // attributes/excludedAttributes.
    if (!alwaysBody && ctx.query.attributes === undefined && ctx.query.excludedAttributes === undefined) {
      ctx.status = 204;
      ctx.set('ETag', result.etag);
      return;
    }
    sendGroup(ctx, c.req, result.group, parseProjection(registry, 'Group', ctx.query.attributes, ctx.query.excludedAttributes));
  };

  router.get('/Groups', async (ctx: AppContext) => sendListing(ctx, deps, 'Group', ctx.query));

  router.get('/Groups/:id', async (ctx: AppContext) => {
    const projection = parseProjection(registry, 'Group', ctx.query.attributes, ctx.query.excludedAttributes);
    const req = await tenantRequest(ctx, deps);
    const row = await getGroup(req, ctx.params.id);
    if (ifNoneMatchHits(ctx.get('If-None-Match'), etagOf(row.version))) {
      ctx.status = 304;
      ctx.set('ETag', etagOf(row.version));
      return;
    }
    sendGroup(ctx, req, row, projection);
  });

  // The catalog owns groups (SPEC §3.2): creating or deleting one is refused for every role.
  router.post('/Groups', async (ctx: AppContext) => {
    await writeContext(ctx);
    await groupActions.create();
  });
  router.delete('/Groups/:id', async (ctx: AppContext) => {
    await writeContext(ctx);
    await groupActions.delete();
  });

  router.put('/Groups/:id', async (ctx: AppContext) => {
    const body = await readJson(ctx, deps.config.maxBodyBytes);
    const c = await writeContext(ctx);
    respond(ctx, c, await groupActions.replace(c, ctx.params.id, body), true);
  });

  router.patch('/Groups/:id', async (ctx: AppContext) => {
    const body = await readJson(ctx, deps.config.maxBodyBytes);
    const c = await writeContext(ctx);
    respond(ctx, c, await groupActions.patch(c, ctx.params.id, body), false);
  });

  return router;
}
