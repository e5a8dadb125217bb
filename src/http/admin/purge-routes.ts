import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { readableFrom } from '../stream-json.ts';
import { parsePurgeRequest, purgeUsers } from '../../domain/purge.ts';
import { actingOf } from './actor.ts';

/**
 * SPEC §3.6: POST /admin/v1/purge. The list is streamed as it is read (dry run) or deleted (batch
 * by batch), so a large first purge is never held in memory. Each batch commits on its own.
 */
export function purgeRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.post('/purge', async (ctx: AppContext) => {
    const options = parsePurgeRequest(await readJson(ctx, deps.config.maxBodyBytes));
    const pages = purgeUsers(deps.repos, options, actingOf(ctx, deps));
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = readableFrom((async function* () {
      yield '[';
      let first = true;
      for await (const page of pages) {
        if (page.length === 0) continue;
        yield (first ? '' : ',') + page.map((u) => JSON.stringify(u)).join(',');
        first = false;
      }
      yield ']';
    })());
  });

  return router;
}
