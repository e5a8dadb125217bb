import type { AppContext, AppDeps } from '../context.ts';
import { SCIM_CONTENT_TYPE } from '../respond.ts';
import { readableFrom } from '../stream-json.ts';
import { baseUrlOf, tenantRequest } from './tenant.ts';
import { groupBody } from './group-body.ts';
import { LIST_RESPONSE, schemaRegistry, type SchemaRegistry } from '../../scim/schema-registry.ts';
import type { ResourceTypeName } from '../../scim/schema-types.ts';
import { parseListParams } from '../../scim/list-params.ts';
import { parseProjection, project, type Projection } from '../../scim/projection.ts';
import { ScimError, badRequest } from '../../scim/scim-error.ts';
import { renderUser } from '../../scim/render.ts';
import { listResources, type ListedItem, type ListedUser } from '../../domain/listing.ts';
import type { TenantRequest } from '../../domain/tenant-request.ts';
import type { Group } from '../../model/group.ts';
import type { Membership } from '../../model/user.ts';

interface PaginationConfig {
  defaultPageSize: number;
  maxPageSize: number;
  cursorTimeout: number;
}

/**
 * GET /Users, GET /Groups and the /.search variants (RFC 7644 §3.4.2, §3.4.3): one ListResponse,
 * written as a stream so that groups' members never sit in memory all at once.
 */
export async function sendListing(ctx: AppContext, deps: AppDeps, type: ResourceTypeName, source: Record<string, unknown>): Promise<void> {
  const registry = schemaRegistry();
  const pagination = registry.serviceProviderConfig.pagination as PaginationConfig;
  const params = parseListParams(source, pagination);
  const projection = parseProjection(registry, type, params.attributes, params.excludedAttributes);
  const req = await tenantRequest(ctx, deps);
  const listing = await listResources(req, type, params, pagination.cursorTimeout);

  const head: Record<string, unknown> = { schemas: [LIST_RESPONSE], totalResults: listing.total, itemsPerPage: listing.rows.length };
  if (params.cursor === undefined) head.startIndex = listing.startIndex;
  if (listing.nextCursor) head.nextCursor = listing.nextCursor;
  if (type === 'Group') {
    sendList(ctx, head, [await resourcesOf(registry, req, type, listing.rows, baseUrlOf(ctx), projection)]);
    return;
  }
  // A page of users is bounded (maxResults) and already in memory: one string beats a stream.
  const resources = userResources(registry, req, listing.rows as UserWithMemberships[], baseUrlOf(ctx), projection);
  ctx.status = 200;
  ctx.type = SCIM_CONTENT_TYPE;
  ctx.body = `${JSON.stringify(head).slice(0, -1)},"Resources":[${resources}]}`;
}

/**
 * POST /.search on the server root (RFC 7644 §3.4.3): Users, then Groups, paged by index over
 * both. A filter naming an attribute one resource type lacks matches nothing of that type.
 */
export async function searchRoot(ctx: AppContext, deps: AppDeps, source: Record<string, unknown>): Promise<void> {
  const registry = schemaRegistry();
  const pagination = registry.serviceProviderConfig.pagination as PaginationConfig;
  const params = parseListParams(source, pagination);
  if (params.cursor !== undefined) throw badRequest('cursor paging is offered on /Users and /Groups, not on the server root', 'invalidValue');
  const req = await tenantRequest(ctx, deps);
  const baseUrl = baseUrlOf(ctx);
  const types: ResourceTypeName[] = ['User', 'Group'];
  const counts = await Promise.all(types.map((type) => applicable(() => listResources(req, type, { ...params, count: 0 }, pagination.cursorTimeout))));
  if (counts.every((c) => c instanceof ScimError)) throw counts[0];
  let skip = params.startIndex - 1;
  let room = params.count;
  let total = 0;
  const parts: AsyncGenerator<string>[] = [];
  let returned = 0;
  for (const [i, type] of types.entries()) {
    const counted = counts[i];
    if (counted instanceof ScimError) continue;
    total += counted.total;
    if (room > 0 && skip < counted.total) {
      const listing = await listResources(req, type, { ...params, startIndex: skip + 1, count: room }, pagination.cursorTimeout);
      const projection = parseProjection(registry, type, params.attributes, params.excludedAttributes);
      parts.push(await resourcesOf(registry, req, type, listing.rows, baseUrl, projection, returned > 0));
      room -= listing.rows.length;
      returned += listing.rows.length;
    }
    skip = Math.max(0, skip - counted.total);
  }
  sendList(ctx, { schemas: [LIST_RESPONSE], totalResults: total, itemsPerPage: returned, startIndex: params.startIndex }, parts);
}

async function applicable<T>(run: () => Promise<T>): Promise<T | ScimError> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ScimError && err.scimType === 'invalidFilter') return err;
    throw err;
  }
}

function sendList(ctx: AppContext, head: Record<string, unknown>, parts: AsyncGenerator<string>[]): void {
  ctx.status = 200;
  ctx.type = SCIM_CONTENT_TYPE;
  ctx.body = readableFrom((async function* () {
    const opening = JSON.stringify(head);
    yield `${opening.slice(0, -1)},"Resources":[`;
    for (const part of parts) yield* part;
    yield ']}';
  })());
}

type UserWithMemberships = ListedUser & { memberships: Membership[] };

/** A page of users as JSON text, comma-separated. */
function userResources(registry: SchemaRegistry, req: TenantRequest, rows: UserWithMemberships[], baseUrl: string, projection: Projection): string {
  return rows.map((row) => JSON.stringify(project(registry, 'User', renderUser(row, row.memberships, req.org, baseUrl), projection))).join(',');
}

/** The resources of one page as JSON text, comma-separated; `continues` when others precede them. */
async function resourcesOf(
  registry: SchemaRegistry,
  req: TenantRequest,
  type: ResourceTypeName,
  rows: ListedItem[],
  baseUrl: string,
  projection: Projection,
  continues = false,
): Promise<AsyncGenerator<string>> {
  if (type === 'User') {
    const text = userResources(registry, req, rows as UserWithMemberships[], baseUrl, projection);
    return (async function* () {
      if (text) yield `${continues ? ',' : ''}${text}`;
    })();
  }
  return (async function* () {
    let first = !continues;
    for (const row of rows as Group[]) {
      if (!first) yield ',';
      yield* groupBody(req, row, baseUrl, projection);
      first = false;
    }
  })();
}
