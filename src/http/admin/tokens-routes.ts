import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { issueToken, listTokens, parseTokenRequest, revokeToken, tokenToJson, type TokenSigner } from '../../domain/token-issuer.ts';
import { actingOf } from './actor.ts';

/** SPEC §6.4: tokens, for operators. */
export function tokensRoutes(deps: AppDeps, signer: TokenSigner): Router<AppState> {
  const router = new Router<AppState>();
  const { repos } = deps;

  router.post('/tokens', async (ctx: AppContext) => {
    const req = parseTokenRequest(await readJson(ctx, deps.config.maxBodyBytes));
    const issued = await issueToken(repos, signer, req, actingOf(ctx, deps));
    sendJson(ctx, 201, { ...tokenToJson(issued.record), token: issued.token });
  });

  router.get('/tokens', async (ctx: AppContext) => {
    const orgId = typeof ctx.query.organisationId === 'string' ? ctx.query.organisationId : undefined;
    sendJson(ctx, 200, (await listTokens(repos, orgId)).map(tokenToJson));
  });

  router.delete('/tokens/:jti', async (ctx: AppContext) => {
    const revoked = await revokeToken(repos, ctx.params.jti, actingOf(ctx, deps));
    deps.caches?.invalidate();
    sendJson(ctx, 200, tokenToJson(revoked));
  });

  return router;
}
