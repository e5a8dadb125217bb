import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { notFound } from '../../scim/scim-error.ts';
import { issueToken, parseTokenRequest, tokenToJson } from '../../domain/token-issuer.ts';
import { tokensStore } from '../../store/tokens-store.ts';
import { auditStore } from '../../store/audit-store.ts';
import { actorOf } from './actor.ts';
import type { TokenSettings } from '../../auth/tokens.ts';

export function tokensRoutes(deps: AppDeps, settings: TokenSettings): Router<AppState> {
  const router = new Router<AppState>();
  const { db } = deps;

  router.post('/tokens', async (ctx: AppContext) => {
    const req = parseTokenRequest(await readJson(ctx, deps.config.maxBodyBytes));
    const now = deps.now();
    const issued = await db.transaction(async (trx) => {
      const result = await issueToken(trx, deps.key, settings, req, ctx.state.principal!.subject, now);
      await auditStore(trx).append({
        ...actorOf(ctx),
        orgId: req.orgId ?? null,
        action: 'token.issue',
        resourceType: 'Token',
        resourceId: result.record.jti,
        changes: { role: { after: req.role }, subject: { after: req.subject }, expiresAt: { after: result.record.expiresAt.toISOString() } },
      }, now);
      return result;
    });
    sendJson(ctx, 201, { ...tokenToJson(issued.record), token: issued.token });
  });

  router.get('/tokens', async (ctx: AppContext) => {
    const orgId = typeof ctx.query.organisationId === 'string' ? ctx.query.organisationId : undefined;
    sendJson(ctx, 200, (await tokensStore(db).list({ orgId })).map(tokenToJson));
  });

  router.delete('/tokens/:jti', async (ctx: AppContext) => {
    const now = deps.now();
    const revoked = await db.transaction(async (trx) => {
      const token = await tokensStore(trx).revoke(ctx.params.jti, now);
      if (!token) throw notFound(`no token with jti ${ctx.params.jti}`);
      await auditStore(trx).append({ ...actorOf(ctx), orgId: token.orgId, action: 'token.revoke', resourceType: 'Token', resourceId: token.jti }, now);
      return token;
    });
    deps.caches?.invalidate();
    sendJson(ctx, 200, tokenToJson(revoked));
  });

  return router;
}
