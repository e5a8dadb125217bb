import crypto from 'node:crypto';
import type Koa from 'koa';
import type { WebContext, WebState } from './web-context.ts';
import { cookieNames, setCookie } from './cookies.ts';
import { readForm } from './form-body.ts';
import { PageError } from './page-error.ts';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

const newToken = (): string => crypto.randomBytes(32).toString('base64url');

/** A new CSRF token, as at sign-in, so a token planted before it is worth nothing after. */
export function renewCsrf(ctx: WebContext): void {
  ctx.state.csrf = newToken();
  setCookie(ctx, cookieNames(ctx).csrf, ctx.state.csrf);
}

function sameOrigin(ctx: WebContext): boolean {
  const expected = new URL(ctx.state.publicUrl).origin;
  const origin = ctx.get('Origin');
  if (origin) return origin === expected;
  // Browsers send Origin with every POST; Referer is the fallback some privacy settings leave.
  const referer = ctx.get('Referer');
  if (!referer) return false;
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}

function matches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/**
 * Every form carries a CSRF token (SPEC §6.5), the double-submit kind: a random token in an
 * HttpOnly, SameSite=Strict cookie and the same token in the form (or, for the pages' own script,
 * a header). Every state-changing request must also come from our own origin (OWASP: verifying
 * origin with standard headers). A refused form changes nothing.
 */
export const csrfProtection: Koa.Middleware<WebState> = async (ctx: WebContext, next) => {
  const cookie = ctx.cookies.get(cookieNames(ctx).csrf);
  if (cookie && TOKEN.test(cookie)) ctx.state.csrf = cookie;
  else renewCsrf(ctx);

  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    const form = await readForm(ctx);
    const given = form.get(CSRF_FIELD) ?? ctx.get(CSRF_HEADER);
    if (!sameOrigin(ctx)) throw new PageError(403, 'Formuläret kom inte från den här webbplatsen och togs inte emot.');
    if (!cookie || !given || !matches(given, cookie)) {
      throw new PageError(403, 'Formuläret har gått ut eller saknar sin kontrollkod. Ladda om sidan och försök igen.');
    }
  }
  await next();
};
