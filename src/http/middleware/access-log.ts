import type { Next } from 'koa';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import { observeRequest } from '../metrics.ts';

/**
 * One JSON line per request. Only the path is logged (no query string, no headers), so tokens and
 * passwords cannot reach the log through it.
 */
export function accessLog(log: Logger) {
  return async function logRequest(ctx: AppContext, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      observeRequest(ctx.method, String(route), ctx.status, ms / 1000);
      const principal = ctx.state.principal;
      if (log.isLevelEnabled('info')) log.info({
        requestId: ctx.state.requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        durationMs: Math.round(ms * 100) / 100,
        org: principal?.orgId,
        role: principal?.role,
        sub: principal?.subject,
      }, 'request');
    }
  };
}
