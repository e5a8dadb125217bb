import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { tenantRequest } from '../scim/tenant.ts';
import { orderOneTimePassword } from '../../domain/credentials.ts';
import { sendJson } from '../respond.ts';

/** POST /api/v1/users/{id}/one-time-password (SPEC §6.3): the admin never sees the password. */
export function oneTimePasswordRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  router.post('/users/:id/one-time-password', async (ctx: AppContext) => {
    const req = await tenantRequest(ctx, deps);
    await orderOneTimePassword(req, ctx.params.id);
    sendJson(ctx, 202, { status: 'Ett nytt engångslösenord skickas till användarens e-postadress.' });
  });
  return router;
}
