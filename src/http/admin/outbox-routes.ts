import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { sendJson } from '../respond.ts';
import { badRequest } from '../../scim/scim-error.ts';
import { listOutbox, outboxEntryToJson } from '../../domain/outbox.ts';
import { limitParam, organisationParam } from './query-params.ts';

// Outbox bodies are long, so a screenful by default.
const OUTBOX_LIMIT = 100;

/** SPEC §3.8: letters and e-mails, newest first, for operators. */
export function outboxRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/outbox', async (ctx: AppContext) => {
    const status = ctx.query.status;
    if (status !== undefined && (typeof status !== 'string' || !/^[a-z_]{1,32}$/.test(status))) throw badRequest('status must be a status word such as pending or delivered', 'invalidValue');
    const rows = await listOutbox(deps.repos, { status, orgId: organisationParam(ctx.query.organisationId), limit: limitParam(ctx.query.limit, OUTBOX_LIMIT) });
    sendJson(ctx, 200, rows.map((row) => outboxEntryToJson(row, ctx.state.publicUrl)));
  });

  return router;
}
