import net from 'node:net';
import type { Next } from 'koa';
import type { AppContext } from '../context.ts';
import { ScimError } from '../../scim/scim-error.ts';

/** At most this many buckets are kept; beyond it, full ones go first, then the oldest. */
const MAX_BUCKETS = 100_000;

/**
 * Token buckets by key: `perSecond` requests a second on average, bursts of `burst`. `take`
 * answers 0 when the request may go ahead, else the seconds to wait. The buckets live in this
 * process only: with several processes behind a load balancer each enforces its share.
 */
export function tokenBuckets(perSecond: number, burst: number, now: () => Date) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, at: number) => Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
  return function take(key: string): number {
    const at = now().getTime();
    const bucket = buckets.get(key) ?? { tokens: burst, at };
    bucket.tokens = refill(bucket, at);
    bucket.at = at;
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size > MAX_BUCKETS) {
      // A full bucket is the same as none; forgetting the oldest others lets their owners start afresh.
      for (const [k, b] of buckets) if (refill(b, at) >= burst) buckets.delete(k);
      for (const k of buckets.keys()) {
        if (buckets.size <= MAX_BUCKETS / 2) break;
        buckets.delete(k);
      }
    }
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    bucket.tokens -= 1;
    return 0;
  };
}

/**
 * SCIM: a bucket per organisation (or per subject for an operator without one). Beyond it, 429
 * with Retry-After, which Entra ID and Okta both honour by backing off (SPEC §5.2).
 */
export function rateLimit(perSecond: number, burst: number, now: () => Date) {
  const take = tokenBuckets(perSecond, burst, now);
  return async function limit(ctx: AppContext, next: Next): Promise<void> {
    if (perSecond <= 0) return next();
    const principal = ctx.state.principal;
    const wait = take(principal?.orgId ?? `subject:${principal?.subject ?? 'anonymous'}`);
    if (wait) throw new ScimError(429, `too many requests for this organisation; retry after ${wait} seconds`, undefined, { headers: { 'Retry-After': String(wait) } });
    await next();
  };
}

/**
 * SPEC §6.2: /auth is limited per client address, so that neither guessing passwords nor locking
 * accounts by five failures each, nor /auth/forgot, can be done cheaply from one place. The
 * address is the connection's peer (the app does not trust X-Forwarded-For, which any client can
 * write): behind a reverse proxy every client shares the proxy's bucket.
 */
export function clientAddressLimit(perMinute: number, burst: number, now: () => Date) {
  const take = tokenBuckets(perMinute / 60, burst, now);
  return async function limitByAddress(ctx: AppContext, next: Next): Promise<void> {
    if (perMinute <= 0) return next();
    const wait = take(addressKey(ctx.request.socket.remoteAddress ?? ''));
    if (wait) {
      throw new ScimError(429, `För många försök från din adress. Försök igen om ${wait} sekunder.`, undefined, { headers: { 'Retry-After': String(wait) } });
    }
    await next();
  };
}

/**
 * IPv4 addresses as they are (an IPv4-mapped IPv6 address as its IPv4 one); an IPv6 address by its
 * /64 prefix, the smallest network a site is usually given, so one site's many addresses share a bucket.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!net.isIPv6(address)) return address;
  const [head, tail] = address.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
