import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { parsePollRequest, pollEvents } from '../../events/poll.ts';

/** SPEC §6.6, RFC 8936: POST /events/v1/poll, for a token of role receiver. */
export function pollRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  router.post('/poll', async (ctx: AppContext) => {
    const request = parsePollRequest(await readJson(ctx, deps.config.maxBodyBytes));
    const answer = await pollEvents(deps.repos, ctx.state.principal!.receiverId!, request, {
      key: deps.key,
      issuer: deps.config.issuer,
      now: deps.now,
      waitMs: deps.config.eventPollWaitSeconds * 1000,
    });
    ctx.set('Cache-Control', 'no-store');
    sendJson(ctx, 200, answer);
  });
  return router;
}
