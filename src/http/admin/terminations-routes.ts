import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { sendJson } from '../respond.ts';
import { badRequest } from '../../scim/scim-error.ts';
import { completeTermination, getTermination, listTerminations, terminationToJson } from '../../domain/termination-queue.ts';
import { TERMINATION_STATUSES, type TerminationStatus } from '../../model/termination.ts';
import { actingOf } from './actor.ts';
import { MAX_LIMIT, limitParam, organisationParam, type QueryValue } from './query-params.ts';

// The open queue is short and read whole.
const TERMINATIONS_LIMIT = MAX_LIMIT;

/** SPEC §3.3: termination requests, across organisations, for operators. */
export function terminationsRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  const { repos } = deps;

  router.get('/terminations', async (ctx: AppContext) => {
    const rows = await listTerminations(repos, {
      status: statusParam(ctx.query.status),
      orgId: organisationParam(ctx.query.organisationId),
      limit: limitParam(ctx.query.limit, TERMINATIONS_LIMIT),
    });
    sendJson(ctx, 200, rows.map(terminationToJson));
  });

  router.get('/terminations/:id', async (ctx: AppContext) => {
    sendJson(ctx, 200, terminationToJson(await getTermination(repos, ctx.params.id)));
  });

  router.post('/terminations/:id/complete', async (ctx: AppContext) => {
    sendJson(ctx, 200, terminationToJson(await completeTermination(repos, ctx.params.id, actingOf(ctx, deps))));
  });

  return router;
}

function statusParam(value: QueryValue): TerminationStatus | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(TERMINATION_STATUSES as readonly string[]).includes(value)) {
    throw badRequest(`status must be one of ${TERMINATION_STATUSES.join(', ')}`, 'invalidValue');
  }
  return value as TerminationStatus;
}
