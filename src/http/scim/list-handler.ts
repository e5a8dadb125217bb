import type { AppContext, AppDeps } from '../context.ts';
import { SCIM_CONTENT_TYPE } from '../respond.ts';
import { readableFrom } from '../stream-json.ts';
import { baseUrlOf, tenantRequest } from './tenant.ts';
import { groupBody } from './groups-routes.ts';
import { LIST_RESPONSE, type SchemaRegistry } from '../../scim/schema-registry.ts';
import type { ResourceTypeName } from '../../scim/schema-types.ts';
import { parseListParams } from '../../scim/list-params.ts';
import { parseProjection, project } from '../../scim/projection.ts';
import { renderUser } from '../../scim/render.ts';
import { listResources as runListing } from '../../domain/listing.ts';
import { storesFor } from '../../domain/tenant-request.ts';
import type { UserRow } from '../../store/users-store.ts';
import type { GroupRow } from '../../store/groups-store.ts';

interface PaginationConfig {
  defaultPageSize: number;
  maxPageSize: number;
  cursorTimeout: number;
}

/**
 * GET /Users, GET /Groups and the /.search variants (RFC 7644 §3.4.2, §3.4.3): one ListResponse,
 * written as a stream so that groups' members never sit in memory all at once.
 */
export async function listResources(ctx: AppContext, deps: AppDeps, registry: SchemaRegistry, type: ResourceTypeName, source: Record<string, unknown>): Promise<void> {
  const pagination = registry.serviceProviderConfig.pagination as PaginationConfig;
  const params = parseListParams(source, pagination);
  const projection = parseProjection(registry, type, params.attributes, params.excludedAttributes);
  const req = await tenantRequest(ctx, deps);
  const listing = await runListing(req, type, params, pagination.cursorTimeout);
  const baseUrl = baseUrlOf(ctx);

  const head: Record<string, unknown> = { schemas: [LIST_RESPONSE], totalResults: listing.total, itemsPerPage: listing.rows.length };
  if (params.cursor === undefined) head.startIndex = listing.startIndex;
  if (listing.nextCursor) head.nextCursor = listing.nextCursor;

  let resources: AsyncGenerator<string>;
  if (type === 'User') {
    const rows = listing.rows as UserRow[];
    const memberships = await storesFor(req).groups.membershipsOf(rows.map((r) => r.id));
    const byUser = new Map<string, typeof memberships>();
    for (const m of memberships) byUser.set(m.user_id, [...(byUser.get(m.user_id) ?? []), m]);
    resources = (async function* () {
      let first = true;
      for (const row of rows) {
        const resource = project(registry, 'User', renderUser(row, byUser.get(row.id) ?? [], req.org, baseUrl), projection);
        yield `${first ? '' : ','}${JSON.stringify(resource)}`;
        first = false;
      }
    })();
  } else {
    const rows = listing.rows as GroupRow[];
    resources = (async function* () {
      let first = true;
      for (const row of rows) {
        if (!first) yield ',';
        yield* groupBody(registry, req, row, baseUrl, projection);
        first = false;
      }
    })();
  }

  ctx.status = 200;
  ctx.type = SCIM_CONTENT_TYPE;
  ctx.body = readableFrom((async function* () {
    const opening = JSON.stringify(head);
    yield `${opening.slice(0, -1)},"Resources":[`;
    yield* resources;
    yield ']}';
  })());
}
