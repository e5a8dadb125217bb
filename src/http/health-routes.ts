import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from './context.ts';
import { sendJson } from './respond.ts';
import { measureDatabase, registry, within } from './metrics.ts';

/** A load balancer checks readiness every few seconds: it wants an answer, not a wait. */
const READINESS_PING_MS = 2_000;

export function healthRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  measureDatabase({ pool: () => deps.repos.poolStats(), outboxBacklog: () => deps.repos.operator.outbox.backlog() });
  // Alive: the process answers. Nothing else is asked, so a slow database never gets a healthy
  // process restarted.
  router.get('/healthz', (ctx: AppContext) => sendJson(ctx, 200, { status: 'ok' }));
  // Ready for traffic: not migrating, not shutting down, and the database answers.
  router.get('/readyz', async (ctx: AppContext) => {
    const notReady = deps.readiness?.notReady;
    if (notReady) return sendJson(ctx, 503, { status: 'not ready', ...notReady });
    try {
      await within(READINESS_PING_MS, deps.repos.ping());
      sendJson(ctx, 200, { status: 'ready' });
    } catch {
      sendJson(ctx, 503, { status: 'not ready', reason: 'database', detail: 'the database is unreachable' });
    }
  });
  router.get('/metrics', async (ctx: AppContext) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
