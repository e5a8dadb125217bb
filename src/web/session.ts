import type Koa from 'koa';
import { verifySession } from '../domain/sign-in.ts';
import type { WebContext, WebDeps, WebState } from './web-context.ts';
import { cookieNames, setCookie } from './cookies.ts';

/** Paths that must not count as activity: the inactivity watch asks this without extending the session. */
const NOT_ACTIVITY = new Set(['/session']);

/**
 * Reads the session cookie (SPEC §6.5). Every page request of a live session is activity and moves
 * its idle deadline, which the server alone keeps: every tab of the session sees the same one.
 */
export function loadSession(deps: WebDeps): Koa.Middleware<WebState> {
  return async (ctx: WebContext, next) => {
    const token = ctx.cookies.get(cookieNames(ctx).session);
    if (token && !NOT_ACTIVITY.has(ctx.path) && !ctx.path.startsWith('/static/')) {
      const principal = await verifySession(deps.repos, token, deps.now(), deps.sessions);
      if (principal) ctx.state.session = { token, principal };
      else setCookie(ctx, cookieNames(ctx).session, null);
    }
    await next();
  };
}

export function sessionToken(ctx: WebContext): string | undefined {
  return ctx.cookies.get(cookieNames(ctx).session);
}

export function startSession(ctx: WebContext, token: string): void {
  setCookie(ctx, cookieNames(ctx).session, token);
}

export function endSessionCookie(ctx: WebContext): void {
  setCookie(ctx, cookieNames(ctx).session, null);
}

/**
 * The pages of a permission administrator: anyone else is sent to sign in, a one-time password's
 * session to the password change it is for, a signed-in user who is not an admin to the start page
 * (which tells them so).
 */
export const requireAdmin: Koa.Middleware<WebState> = async (ctx: WebContext, next) => {
  const principal = ctx.state.session?.principal;
  if (!principal) return ctx.redirect('/logga-in');
  if (principal.session?.passwordChangeOnly) return ctx.redirect('/byt-engangslosenord');
  if (principal.role !== 'admin') return ctx.redirect('/');
  await next();
};
