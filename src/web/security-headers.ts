import helmet from 'koa-helmet';
import type Koa from 'koa';
import type { WebState } from './web-context.ts';

/**
 * SPEC §6.5: a strict Content-Security-Policy — our own script and style files only, no inline
 * script or style, no framing — and helmet's other defaults (nosniff, referrer policy, …). Every
 * page is `no-store`: they show personal data, and a shared computer's back button should not.
 */
export function securityHeaders(): Koa.Middleware<WebState> {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    // The pages load nothing from other origins, so cross-origin isolation costs nothing.
    crossOriginEmbedderPolicy: true,
    frameguard: { action: 'deny' },
    // Not no-referrer: with it browsers send `Origin: null` on our own forms, which the CSRF check refuses.
    referrerPolicy: { policy: 'same-origin' },
  }) as Koa.Middleware<WebState>;
  return async (ctx, next) => {
    await headers(ctx, next);
    if (!ctx.path.startsWith('/static/')) ctx.set('Cache-Control', 'no-store');
  };
}
