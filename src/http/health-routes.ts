import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from './context.ts';
import { sendJson } from './respond.ts';
import { registry } from './metrics.ts';

export function healthRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/healthz', (ctx: AppContext) => sendJson(ctx, 200, { status: 'ok' }));
  router.get('/readyz', async (ctx: AppContext) => {
    try {
      await deps.repos.ping();
      sendJson(ctx, 200, { status: 'ready' });
    } catch {
      sendJson(ctx, 503, { status: 'database unreachable' });
    }
  });
  router.get('/metrics', async (ctx: AppContext) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
