import type { WebContext } from './web-context.ts';

/**
 * The pages' two cookies: the session token and the CSRF token. Both HttpOnly and SameSite=Strict;
 * Secure, with the `__Host-` prefix (RFC 6265bis §4.1.3.2: no Domain, Path=/), whenever the public
 * address is https, even when a proxy in front speaks plain HTTP to us.
 */
export interface CookieNames {
  session: string;
  csrf: string;
}

export function isSecure(ctx: WebContext): boolean {
  return ctx.state.publicUrl.startsWith('https:');
}

export function cookieNames(ctx: WebContext): CookieNames {
  const prefix = isSecure(ctx) ? '__Host-' : '';
  return { session: `${prefix}idm_session`, csrf: `${prefix}idm_csrf` };
}

export function setCookie(ctx: WebContext, name: string, value: string | null): void {
  const secure = isSecure(ctx);
  // The cookies library refuses a Secure cookie on a connection it sees as plain; behind a TLS proxy
  // that is every connection, and the public address is what the browser sees.
  if (secure) ctx.cookies.secure = true;
  ctx.cookies.set(name, value, { httpOnly: true, sameSite: 'strict', secure, path: '/', overwrite: true });
}
