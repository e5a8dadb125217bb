import type { Next } from 'koa';
import type { AppContext } from '../context.ts';
import type { Principal, PrincipalRole } from '../../auth/tokens.ts';
import { TokenRejected } from '../../auth/tokens.ts';
import { ScimError, forbidden, unauthorized } from '../../scim/scim-error.ts';

export type Verify = (token: string) => Promise<Principal>;

/** RFC 6750: a missing or unusable bearer token is 401 with WWW-Authenticate: Bearer. */
export function authenticate(verify: Verify) {
  return async function requireToken(ctx: AppContext, next: Next): Promise<void> {
    const header = ctx.get('Authorization');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized(header ? 'the Authorization header must be "Bearer <token>"' : 'a bearer token is required');
    try {
      ctx.state.principal = await verify(match[1]);
    } catch (err) {
      if (err instanceof TokenRejected) throw unauthorized(err.message);
      throw err;
    }
    await next();
  };
}

export function requireRole(...roles: PrincipalRole[]) {
  return async function checkRole(ctx: AppContext, next: Next): Promise<void> {
    const principal = ctx.state.principal;
    const role = principal?.role;
    if (!role || !roles.includes(role)) throw forbidden(`this API is not open to the ${role ?? 'anonymous'} role`);
    if (principal?.session?.passwordChangeOnly) {
      throw forbidden('Du är inloggad med ett engångslösenord och behöver först byta lösenord (POST /auth/password).');
    }
    await next();
  };
}

/** The organisation a tenant request acts in; an operator token without one cannot use tenant APIs. */
export function tenantOf(ctx: AppContext): string {
  const orgId = ctx.state.principal?.orgId;
  if (!orgId) throw new ScimError(403, 'the token names no organisation; issue an operator token with --org to act in one');
  return orgId;
}
