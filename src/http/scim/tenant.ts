import type { AppContext, AppDeps } from '../context.ts';
import type { TenantRequest } from '../../domain/tenant-request.ts';
import { tenantOf } from '../middleware/authenticate.ts';
import { organisationsStore } from '../../store/organisations-store.ts';
import { unauthorized } from '../../scim/scim-error.ts';

/** The domain's view of a SCIM request: the organisation the token names, who acts, when. */
export async function tenantRequest(ctx: AppContext, deps: AppDeps): Promise<TenantRequest> {
  const orgId = tenantOf(ctx);
  const at = deps.now().getTime();
  let org = deps.caches?.organisations.get(orgId, at);
  if (!org) {
    org = await organisationsStore(deps.db).find(orgId);
    if (org) deps.caches?.organisations.set(orgId, org, at);
  }
  // The token check saw the organisation active a moment ago; it may have gone since.
  if (!org || !org.active) throw unauthorized('the organisation the token names does not exist or is not active');
  return { db: deps.db, org, principal: ctx.state.principal!, requestId: ctx.state.requestId, now: deps.now() };
}

/** The SCIM base URL of `location` and `$ref` values (RFC 7643 §3.1). */
export function baseUrlOf(ctx: AppContext): string {
  return `${ctx.state.publicUrl}/scim/v2`;
}
