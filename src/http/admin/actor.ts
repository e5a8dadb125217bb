import type { AppContext, AppDeps } from '../context.ts';
import type { Acting } from '../../domain/tenant-request.ts';

/** Who makes this request, in which request, at the app's clock: what the domain records as acting. */
export function actingOf(ctx: AppContext, deps: Pick<AppDeps, 'now'>): Acting {
  return { principal: ctx.state.principal!, requestId: ctx.state.requestId, now: deps.now() };
}
