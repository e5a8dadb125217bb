import crypto from 'node:crypto';
import type { Next } from 'koa';
import type { AppContext } from '../context.ts';

// A caller's X-Request-Id is kept when it is short and printable, so it can be traced across
// systems; anything else is replaced rather than echoed into logs and headers.
const ACCEPTABLE = /^[A-Za-z0-9._:@\-/+=]{1,128}$/;

export async function requestId(ctx: AppContext, next: Next): Promise<void> {
  const given = ctx.get('X-Request-Id');
  ctx.state.requestId = ACCEPTABLE.test(given) ? given : crypto.randomUUID();
  ctx.set('X-Request-Id', ctx.state.requestId);
  await next();
}
