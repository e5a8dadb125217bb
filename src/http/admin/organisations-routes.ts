import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { createOrganisation, getOrganisation, listOrganisations, newOrganisation, organisationToJson, parseOrganisationChanges, updateOrganisation } from '../../domain/organisations.ts';
import { actingOf } from './actor.ts';

/** SPEC §6.4: the organisations, for operators. */
export function organisationsRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  const { repos } = deps;

  router.get('/organisations', async (ctx: AppContext) => {
    sendJson(ctx, 200, (await listOrganisations(repos)).map(organisationToJson));
  });

  router.get('/organisations/:id', async (ctx: AppContext) => {
    sendJson(ctx, 200, organisationToJson(await getOrganisation(repos, ctx.params.id)));
  });

  router.post('/organisations', async (ctx: AppContext) => {
    const changes = parseOrganisationChanges(await readJson(ctx, deps.config.maxBodyBytes), true);
    const org = await createOrganisation(repos, newOrganisation(changes), actingOf(ctx, deps));
    ctx.set('Location', `/admin/v1/organisations/${org.id}`);
    sendJson(ctx, 201, organisationToJson(org));
  });

  router.patch('/organisations/:id', async (ctx: AppContext) => {
    const changes = parseOrganisationChanges(await readJson(ctx, deps.config.maxBodyBytes), false);
    const org = await updateOrganisation(repos, ctx.params.id, changes, actingOf(ctx, deps));
    // Deactivation and a new school form take effect at once in this process.
    deps.caches?.invalidate();
    sendJson(ctx, 200, organisationToJson(org));
  });

  return router;
}
