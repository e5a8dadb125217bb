import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendListing, searchRoot } from './list-handler.ts';
import { SEARCH_REQUEST } from '../../scim/schema-registry.ts';
import { badRequest } from '../../scim/scim-error.ts';
import { isObject } from '../../scim/resource-input.ts';
import type { ResourceTypeName } from '../../scim/schema-types.ts';

/** RFC 7644 §3.4.3: a SearchRequest body carries the same parameters as a GET's query string. */
async function searchBody(ctx: AppContext, deps: AppDeps): Promise<Record<string, unknown>> {
  const body = await readJson(ctx, deps.config.maxBodyBytes);
  if (!isObject(body)) throw badRequest('the body must be a JSON object', 'invalidSyntax');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST.toLowerCase())) {
    throw badRequest(`"schemas" must include ${SEARCH_REQUEST}`, 'invalidSyntax');
  }
  const { schemas: _schemas, ...params } = body;
  return params;
}

export function searchRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  for (const [path, type] of [['/Users/.search', 'User'], ['/Groups/.search', 'Group']] as [string, ResourceTypeName][]) {
    router.post(path, async (ctx: AppContext) => sendListing(ctx, deps, type, await searchBody(ctx, deps)));
  }
  router.post('/.search', async (ctx: AppContext) => searchRoot(ctx, deps, await searchBody(ctx, deps)));
  return router;
}
