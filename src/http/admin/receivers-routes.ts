import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { getReceiver, listReceivers, parseReceiverInput, receiverToJson, registerReceiver, removeReceiver, updateReceiver } from '../../events/receivers.ts';
import type { ReceiverFields } from '../../model/receiver.ts';
import { actingOf } from './actor.ts';

/** SPEC §6.6: change-event receivers, registered by operators. */
export function receiversRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  const { repos } = deps;

  router.get('/receivers', async (ctx: AppContext) => {
    sendJson(ctx, 200, (await listReceivers(repos)).map(receiverToJson));
  });

  router.get('/receivers/:id', async (ctx: AppContext) => {
    sendJson(ctx, 200, receiverToJson(await getReceiver(repos, ctx.params.id)));
  });

  router.post('/receivers', async (ctx: AppContext) => {
    const fields = parseReceiverInput(await readJson(ctx, deps.config.maxBodyBytes), true) as ReceiverFields;
    const receiver = await registerReceiver(repos, fields, actingOf(ctx, deps));
    ctx.set('Location', `/admin/v1/receivers/${receiver.id}`);
    sendJson(ctx, 201, receiverToJson(receiver));
  });

  router.patch('/receivers/:id', async (ctx: AppContext) => {
    const fields = parseReceiverInput(await readJson(ctx, deps.config.maxBodyBytes), false);
    sendJson(ctx, 200, receiverToJson(await updateReceiver(repos, ctx.params.id, fields, actingOf(ctx, deps))));
  });

  router.delete('/receivers/:id', async (ctx: AppContext) => {
    await removeReceiver(repos, ctx.params.id, actingOf(ctx, deps));
    ctx.status = 204;
  });

  return router;
}
