import type { AppContext } from './context.ts';

// RFC 7644 §8.1 registers application/scim+json without parameters, and clients that compare
// the header refuse anything else; JSON is UTF-8 by definition (RFC 8259 §8.1). Koa keeps a
// +json type as it is given, so no charset is added on the way out.
export const SCIM_CONTENT_TYPE = 'application/scim+json';

export function sendScim(ctx: AppContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
  ctx.status = status;
  for (const [name, value] of Object.entries(headers)) ctx.set(name, value);
  ctx.type = SCIM_CONTENT_TYPE;
  ctx.body = body;
}

export function sendJson(ctx: AppContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = body;
}
