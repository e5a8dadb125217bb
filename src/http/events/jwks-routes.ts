import Router from '@koa/router';
import type { JWK } from 'jose';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { sendJson } from '../respond.ts';
import { publicJwks } from '../../auth/jwks.ts';

/** The server's public keys (RFC 7517 §5), open to anyone: receivers check SETs with them. */
export function jwksRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  const retired = deps.config.retiredPublicKeys ? (JSON.parse(deps.config.retiredPublicKeys) as JWK[]) : [];
  const jwks = publicJwks(deps.key, retired);
  router.get('/.well-known/jwks.json', async (ctx: AppContext) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    sendJson(ctx, 200, await jwks);
  });
  return router;
}
