import type { Next } from 'koa';
import type { AppContext } from '../context.ts';
import { ScimError } from '../../scim/scim-error.ts';

/**
 * A token bucket per organisation (or per subject for an operator without one): `perSecond`
 * requests a second on average, bursts of `burst`. Beyond it, 429 with Retry-After, which Entra ID
 * and Okta both honour by backing off (SPEC §5.2). The buckets live in this process only: with
 * several processes behind a load balancer each enforces its share.
 */
export function rateLimit(perSecond: number, burst: number, now: () => Date) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return async function limit(ctx: AppContext, next: Next): Promise<void> {
    if (perSecond <= 0) return next();
    const principal = ctx.state.principal;
    const key = principal?.orgId ?? `subject:${principal?.subject ?? 'anonymous'}`;
    const at = now().getTime();
    const bucket = buckets.get(key) ?? { tokens: burst, at };
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
    bucket.at = at;
    if (bucket.tokens < 1) {
      buckets.set(key, bucket);
      const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
      throw new ScimError(429, `too many requests for this organisation; retry after ${wait} seconds`, undefined, { headers: { 'Retry-After': String(wait) } });
    }
    bucket.tokens -= 1;
    buckets.set(key, bucket);
    if (buckets.size > 100_000) buckets.clear();
    await next();
  };
}
