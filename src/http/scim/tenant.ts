import type { AppContext, AppDeps } from '../context.ts';
import { actInOrganisation, type TenantRequest } from '../../domain/tenant-request.ts';
import type { WriteContext } from '../../domain/resource-actions.ts';
import { tenantOf } from '../middleware/authenticate.ts';

/** The domain's view of a SCIM request: the organisation the token names, who acts, when. */
export function tenantRequest(ctx: AppContext, deps: AppDeps): Promise<TenantRequest> {
  const acting = { principal: ctx.state.principal!, requestId: ctx.state.requestId, now: deps.now() };
  return actInOrganisation(deps.repos, tenantOf(ctx), acting, deps.caches?.organisations);
}

/** The SCIM base URL of `location` and `$ref` values (RFC 7643 §3.1). */
export function baseUrlOf(ctx: AppContext): string {
  return `${ctx.state.publicUrl}/scim/v2`;
}

/** The write context of one HTTP request: its tenant, base URL and If-Match. */
export async function writeContextOf(ctx: AppContext, deps: AppDeps): Promise<WriteContext> {
  return { req: await tenantRequest(ctx, deps), baseUrl: baseUrlOf(ctx), ifMatch: ctx.get('If-Match') || undefined };
}
