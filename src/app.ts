import Koa from 'koa';
import Router from '@koa/router';
import { createCaches, type AppDeps, type AppState } from './http/context.ts';
import { requestId } from './http/middleware/request-id.ts';
import { accessLog } from './http/middleware/access-log.ts';
import { errorHandler } from './http/middleware/errors.ts';
import { authenticate, requireRole } from './http/middleware/authenticate.ts';
import { clientAddressLimit, rateLimit } from './http/middleware/rate-limit.ts';
import { implementedMethods, methodRefusal, refuseUnimplementedMethods } from './http/middleware/methods.ts';
import { healthRoutes } from './http/health-routes.ts';
import { organisationsRoutes } from './http/admin/organisations-routes.ts';
import { tokensRoutes } from './http/admin/tokens-routes.ts';
import { administratorsRoutes } from './http/admin/administrators-routes.ts';
import { terminationsRoutes } from './http/admin/terminations-routes.ts';
import { purgeRoutes } from './http/admin/purge-routes.ts';
import { outboxRoutes } from './http/admin/outbox-routes.ts';
import { importRoutes } from './http/admin/import-routes.ts';
import { adminAuditRoutes } from './http/admin/audit-routes.ts';
import { receiversRoutes } from './http/admin/receivers-routes.ts';
import { pollRoutes } from './http/events/poll-routes.ts';
import { jwksRoutes } from './http/events/jwks-routes.ts';
import { apiRoutes } from './http/api/api-routes.ts';
import { oneTimePasswordRoutes } from './http/api/one-time-password-routes.ts';
import { discoveryRoutes } from './http/scim/discovery-routes.ts';
import { usersRoutes } from './http/scim/users-routes.ts';
import { groupsRoutes } from './http/scim/groups-routes.ts';
import { searchRoutes } from './http/scim/search-routes.ts';
import { bulkRoutes } from './http/scim/bulk-routes.ts';
import { meRoutes } from './http/scim/me-routes.ts';
import { authRoutes } from './http/auth-routes.ts';
import type { SessionSettings } from './domain/sign-in.ts';
import { tokenVerifier } from './domain/token-verification.ts';
import { createRepositories, type Db } from './store/repositories.ts';
import type { TokenSettings } from './auth/tokens.ts';
import { ScimError } from './scim/scim-error.ts';
import { sendScim } from './http/respond.ts';
import { notFoundPage, webRoutes } from './web/web-routes.ts';
import type { WebDeps } from './web/web-context.ts';

export const TOKEN_LEEWAY_SECONDS = 30;

/** What the app is built from; tests build it with their own database, key and clock. */
export type AppInput = Omit<AppDeps, 'repos'> & { db: Db };

/** Builds the Koa app from its dependencies without listening, so tests drive it directly. */
export function buildApp(given: AppInput): Koa<AppState> {
  const { db, ...rest } = given;
  const deps: AppDeps = { ...rest, repos: createRepositories(db), caches: given.caches ?? createCaches(given.config.cacheSeconds * 1000) };
  const app = new Koa<AppState>();
  app.proxy = false;
  // Errors are answered by errorHandler; Koa's default handler would print stacks to stderr.
  app.silent = true;
  const settings: TokenSettings = { issuer: deps.config.issuer, audience: deps.config.audience, leewaySeconds: TOKEN_LEEWAY_SECONDS };
  const sessions: SessionSettings = { idleMs: deps.config.sessionIdleSeconds * 1000, absoluteMs: deps.config.sessionAbsoluteHours * 3_600_000 };
  const verify = tokenVerifier(deps.repos, deps.key, settings, deps.now, sessions, deps.caches!.principals);

  const requireToken = authenticate(verify);
  const throttle = rateLimit(deps.config.rateLimitPerSecond, deps.config.rateLimitBurst, deps.now);
  // One allowance per client address for signing in, whether through /auth or the pages.
  const authLimit = clientAddressLimit(deps.config.authRateLimitPerMinute, deps.config.authRateLimitBurst, deps.now);
  const webDeps: WebDeps = { ...deps, sessions, authLimit: authLimit as unknown as WebDeps['authLimit'] };
  const routers = [
    healthRoutes(deps),
    jwksRoutes(deps),
    authRoutes(deps, sessions, requireToken, authLimit),
    withPrefix('/admin/v1', [requireToken, requireRole('operator')],
      organisationsRoutes(deps),
      tokensRoutes(deps, { key: deps.key, settings }),
      administratorsRoutes(deps),
      terminationsRoutes(deps),
      purgeRoutes(deps),
      outboxRoutes(deps),
      importRoutes(deps),
      adminAuditRoutes(deps),
      receiversRoutes(deps)),
    withPrefix('/events/v1', [requireToken, requireRole('receiver')], pollRoutes(deps)),
    withPrefix('/api/v1', [requireToken, requireRole('admin', 'operator')], apiRoutes(deps), oneTimePasswordRoutes(deps)),
    withPrefix('/scim/v2', [requireToken, requireRole('admin', 'user', 'provisioner', 'operator')], meRoutes(deps)),
    withPrefix('/scim/v2', [requireToken, requireRole('admin', 'provisioner', 'operator'), throttle],
      discoveryRoutes(),
      usersRoutes(deps),
      groupsRoutes(deps),
      searchRoutes(deps),
      bulkRoutes(deps, deps.log)),
    webRoutes(webDeps) as unknown as Router<AppState>,
  ];

  app.use(requestId);
  const publicUrl = deps.config.publicUrl;
  app.use((ctx, next) => {
    ctx.state.publicUrl = publicUrl ?? `${ctx.protocol}://${ctx.host}`;
    return next();
  });
  app.use(accessLog(deps.log));
  app.use(errorHandler(deps.log));
  app.use(refuseWhileMigrating(deps));
  app.use(refuseUnimplementedMethods(implementedMethods(routers)));
  for (const router of routers) {
    app.use(router.routes());
    app.use(methodRefusal(router));
  }
  // Not thrown: the routers' methodRefusal, further up the chain, turns a 404 into 405 when the
  // path exists with another method.
  const pageNotFound = notFoundPage(webDeps) as unknown as Koa.Middleware<AppState>;
  app.use((ctx, next) => {
    // A browser asking for a page that does not exist gets the pages' 404; API clients get SCIM's.
    if (ctx.method === 'GET' && ctx.accepts('json', 'html') === 'html') return pageNotFound(ctx, next);
    const error = new ScimError(404, `no resource at ${ctx.path}`);
    sendScim(ctx, 404, error.toBody());
  });
  return app;
}

const HEALTH_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * While migrations run (they may be waiting for another process's), the process listens only so
 * that `/readyz` can say so: everything else is 503 with Retry-After, as the schema is not yet
 * the one the code expects.
 */
function refuseWhileMigrating(deps: AppDeps): Koa.Middleware<AppState> {
  return (ctx, next) => {
    if (!deps.readiness || deps.readiness.servesRequests || HEALTH_PATHS.has(ctx.path)) return next();
    ctx.set('Retry-After', '5');
    sendScim(ctx, 503, new ScimError(503, 'the server is starting: database migrations are running; try again shortly').toBody());
  };
}

/** One router per API: its prefix, the middleware guarding it, then the resource routers under it. */
function withPrefix(prefix: string, guards: Koa.Middleware<AppState>[], ...children: Router<AppState>[]): Router<AppState> {
  const router = new Router<AppState>({ prefix });
  router.use(...guards);
  for (const child of children) router.use(child.routes());
  return router;
}
