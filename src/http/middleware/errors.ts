import type { Next } from 'koa';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import { ScimError } from '../../scim/scim-error.ts';
import { SCIM_CONTENT_TYPE } from '../respond.ts';
import { scimErrorOf } from '../outcome-errors.ts';

/**
 * The one place errors become responses (RFC 7644 §3.12 bodies). A ScimError shows its detail; a
 * typed outcome of the domain (a database unique violation among them) is mapped by scimErrorOf;
 * anything else is a 500 whose body says nothing about the cause, which goes to the log with the
 * request id.
 */
export function errorHandler(log: Logger) {
  return async function handleErrors(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      const scim = toScimError(err);
      if (!scim) {
        log.error({ err, requestId: ctx.state.requestId }, 'unhandled error');
      }
      const error = scim ?? new ScimError(500, `internal error; quote request id ${ctx.state.requestId}`);
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      ctx.type = SCIM_CONTENT_TYPE;
      ctx.body = error.toBody();
    }
  };
}

function toScimError(err: unknown): ScimError | undefined {
  const known = scimErrorOf(err);
  if (known) return known;
  const e = err as { status?: number; expose?: boolean; message?: string };
  // Koa's own errors (ctx.throw, body parsing) carry a client status and expose their message.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return new ScimError(e.status, e.message ?? 'bad request');
  }
  return undefined;
}
