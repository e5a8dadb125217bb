import Router from '@koa/router';
import type Koa from 'koa';
import type { WebContext, WebDeps, WebState } from './web-context.ts';
import { securityHeaders } from './security-headers.ts';
import { csrfProtection } from './csrf.ts';
import { loadSession } from './session.ts';
import { signInRoutes } from './sign-in-routes.ts';
import { userRoutes } from './user-routes.ts';
import { staticFiles } from './static-files.ts';
import { sendPage } from './render.tsx';
import { frameOf } from './frame.ts';
import { pageFailureOf } from './failures.ts';
import { ErrorPage } from './pages/error-pages.tsx';

/**
 * The errors of the pages, as pages (SPEC §6.5): a refusal with its own words, 404, and for
 * anything else *Tillfälligt tekniskt fel* with the request id, the cause only in the log.
 */
function pageErrors(deps: WebDeps): Koa.Middleware<WebState> {
  return async (ctx: WebContext, next) => {
    try {
      await next();
    } catch (err) {
      const failure = pageFailureOf(err);
      if (!failure) deps.log.error({ err, requestId: ctx.state.requestId }, 'unhandled error on a page');
      for (const [name, value] of Object.entries(failure?.headers ?? {})) ctx.set(name, value);
      const message = !failure ? 'Tillfälligt tekniskt fel. Försök igen om en stund.'
        : failure.status === 404 ? 'Sidan eller användaren finns inte.' : failure.message;
      const title = !failure ? 'Tillfälligt tekniskt fel' : failure.status === 404 ? 'Sidan finns inte' : 'Det gick inte';
      sendPage(ctx, failure?.status ?? 500, ErrorPage({ frame: frameOf(ctx, deps, title), message, requestId: failure ? undefined : ctx.state.requestId }));
    }
  };
}

/** The Swedish web pages at `/` (SPEC §6.5), an edge beside the APIs over the same domain. */
export function webRoutes(deps: WebDeps): Router<WebState> {
  const router = new Router<WebState>();
  router.use(securityHeaders(), pageErrors(deps), csrfProtection, loadSession(deps));
  for (const child of [staticFiles(), signInRoutes(deps), userRoutes(deps)]) router.use(child.routes());
  return router;
}

/** A path nothing answers, asked for by a browser: the pages' 404 rather than a SCIM error body. */
export function notFoundPage(deps: WebDeps): Koa.Middleware<WebState> {
  const headers = securityHeaders();
  return (ctx: WebContext) => headers(ctx, async () => {
    ctx.state.csrf ??= '';
    sendPage(ctx, 404, ErrorPage({ frame: frameOf(ctx, deps, 'Sidan finns inte'), message: 'Sidan finns inte. Kontrollera adressen.' }));
  });
}
