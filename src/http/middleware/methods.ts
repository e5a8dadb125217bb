import type Koa from 'koa';
import type Router from '@koa/router';
import type { AppContext, AppState } from '../context.ts';
import { ScimError } from '../../scim/scim-error.ts';

/**
 * The methods some route of the server answers, plus OPTIONS, which every known path answers
 * with its Allow list. Taken from the routers, so a new route cannot fall out of step.
 */
export function implementedMethods(routers: Router<AppState>[]): Set<string> {
  const methods = new Set(['OPTIONS']);
  for (const router of routers) for (const layer of router.stack) for (const method of layer.methods) methods.add(method);
  return methods;
}

/**
 * RFC 9110 §15.6.2: a method the server implements for no resource at all (TRACE, PROPFIND,
 * LOCK, MKCOL, SEARCH, PURGE, …) is 501 on every path, before authentication, since no token
 * could make it work. A method implemented elsewhere but not on this path is 405 (methodRefusal).
 */
export function refuseUnimplementedMethods(implemented: Set<string>): Koa.Middleware<AppState> {
  const list = [...implemented].join(', ');
  return async function refuseUnimplemented(ctx: AppContext, next: Koa.Next): Promise<void> {
    if (!implemented.has(ctx.method)) {
      throw new ScimError(501, `the method ${ctx.method} is not implemented by this server; it implements ${list}`);
    }
    await next();
  };
}

/**
 * The router's own Allow handling (405 and OPTIONS), with a 405 turned into a SCIM error that
 * carries the Allow header RFC 9110 §15.5.6 requires. OPTIONS on a known path is 204 with Allow
 * (RFC 9110 §9.3.7), so no stale content type of the 404 it replaces is left on an empty answer.
 */
export function methodRefusal(router: Router<AppState>): ReturnType<Router<AppState>['allowedMethods']> {
  const allowedMethods = router.allowedMethods({ throw: false });
  return async function refuseMethod(ctx, next): Promise<void> {
    await allowedMethods(ctx, next);
    const allow = ctx.response.get('Allow');
    if (!allow) return;
    if (ctx.status === 405) {
      throw new ScimError(405, `the method ${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`, undefined, { headers: { Allow: allow } });
    }
    if (ctx.method === 'OPTIONS' && ctx.status === 200) ctx.status = 204;
  };
}
