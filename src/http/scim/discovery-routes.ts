import Router from '@koa/router';
import type { AppContext, AppState } from '../context.ts';
import { sendScim } from '../respond.ts';
import { LIST_RESPONSE, schemaRegistry } from '../../scim/schema-registry.ts';
import { ScimError, notFound } from '../../scim/scim-error.ts';

/** RFC 7644 §4: discovery, served from the same registry that validates and filters. */
export function discoveryRoutes(): Router<AppState> {
  const registry = schemaRegistry();
  const router = new Router<AppState>();

  const listOf = (ctx: AppContext, resources: Record<string, unknown>[]) => {
    // RFC 7644 §4: filtering the discovery endpoints is not supported.
    if (ctx.query.filter !== undefined) throw new ScimError(403, 'filter is not supported on discovery endpoints');
    sendScim(ctx, 200, { schemas: [LIST_RESPONSE], totalResults: resources.length, itemsPerPage: resources.length, startIndex: 1, Resources: resources });
  };

  router.get('/ServiceProviderConfig', (ctx: AppContext) => sendScim(ctx, 200, registry.serviceProviderConfig));
  router.get('/Schemas', (ctx: AppContext) => listOf(ctx, registry.schemaResources()));
  router.get('/Schemas/:id', (ctx: AppContext) => {
    const schema = registry.schemaResource(ctx.params.id);
    if (!schema) throw notFound(`no schema ${ctx.params.id}`);
    sendScim(ctx, 200, schema);
  });
  router.get('/ResourceTypes', (ctx: AppContext) => listOf(ctx, registry.resourceTypeResources()));
  router.get('/ResourceTypes/:id', (ctx: AppContext) => {
    const type = registry.resourceTypeResources().find((t) => String(t.id).toLowerCase() === ctx.params.id.toLowerCase());
    if (!type) throw notFound(`no resource type ${ctx.params.id}`);
    sendScim(ctx, 200, type);
  });
  return router;
}
