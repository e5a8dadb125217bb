import Router from '@koa/router';
import type Koa from 'koa';
import type { AppContext, AppDeps, AppState } from './context.ts';
import { readJson } from './body.ts';
import { sendJson } from './respond.ts';
import { badRequest, forbidden } from '../scim/scim-error.ts';
import { isObject } from '../scim/resource-input.ts';
import { changePassword, forgotPassword, login, logout, type SessionSettings } from '../domain/sign-in.ts';
import type { AuthRequest } from '../domain/sign-in-attempt.ts';
import { scryptHasher } from '../domain/password-hash.ts';

function strings(body: unknown, required: string[], optional: string[] = []): Record<string, string | undefined> {
  if (!isObject(body)) throw badRequest('the body must be a JSON object', 'invalidSyntax');
  const out: Record<string, string | undefined> = {};
  for (const name of [...required, ...optional]) {
    const value = body[name];
    if (value === undefined && optional.includes(name)) continue;
    if (typeof value !== 'string' || value === '' || value.length > 1024) throw badRequest(`${name} must be a non-empty string`, 'invalidValue');
    out[name] = value;
  }
  return out;
}

/** SPEC §6.2: sign-in for users and admins. Session tokens are opaque bearer tokens. */
export function authRoutes(deps: AppDeps, settings: SessionSettings, requireSession: Koa.Middleware<AppState>, addressLimit: Koa.Middleware<AppState>): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/auth' });
  const limit = 16 * 1024;
  const hasher = deps.hasher ?? scryptHasher;
  const authRequest = (ctx: AppContext): AuthRequest => ({ repos: deps.repos, hasher, now: deps.now(), requestId: ctx.state.requestId });
  router.use(addressLimit);

  router.post('/login', async (ctx: AppContext) => {
    const body = strings(await readJson(ctx, limit), ['userName', 'password']);
    const result = await login(authRequest(ctx), body.userName!, body.password!, settings);
    // RFC 9111 §5.2.2.5: a session token is never stored by a cache on the way (SPEC §6.2).
    ctx.set('Cache-Control', 'no-store');
    sendJson(ctx, 200, {
      token: result.token,
      tokenType: 'Bearer',
      role: result.role,
      passwordChangeOnly: result.passwordChangeOnly,
      idleExpiresAt: result.idleExpiresAt.toISOString(),
      expiresAt: result.expiresAt.toISOString(),
    });
  });

  router.post('/password', async (ctx: AppContext) => {
    const body = strings(await readJson(ctx, limit), ['userName', 'newPassword'], ['currentPassword', 'oneTimePassword']);
    if ((body.currentPassword === undefined) === (body.oneTimePassword === undefined)) {
      throw badRequest('give either currentPassword or oneTimePassword', 'invalidValue');
    }
    await changePassword(authRequest(ctx), body as { userName: string; newPassword: string; currentPassword?: string; oneTimePassword?: string });
    ctx.status = 204;
  });

  router.post('/forgot', async (ctx: AppContext) => {
    const body = strings(await readJson(ctx, limit), ['userName']);
    await forgotPassword(authRequest(ctx), body.userName!);
    sendJson(ctx, 202, { status: 'Om användaren finns och har en e-postadress skickas ett nytt engångslösenord.' });
  });

  const sessionOnly = async (ctx: AppContext, next: Koa.Next) => {
    if (!ctx.state.principal?.session) throw forbidden('this needs a session token from POST /auth/login');
    await next();
  };

  router.post('/keep-alive', requireSession, sessionOnly, async (ctx: AppContext) => {
    // Verifying the session already moved its idle deadline; this answers when it now ends.
    const principal = ctx.state.principal!;
    sendJson(ctx, 200, { idleExpiresAt: new Date(principal.expiresAt).toISOString() });
  });

  router.post('/logout', requireSession, sessionOnly, async (ctx: AppContext) => {
    await logout(deps.repos, ctx.state.principal!, deps.now());
    ctx.status = 204;
  });

  return router;
}
