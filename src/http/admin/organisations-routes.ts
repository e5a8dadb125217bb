import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { ScimError, notFound } from '../../scim/scim-error.ts';
import { checkOrganisation, organisationToJson, parseOrganisationChanges } from '../../domain/organisations.ts';
import { organisationsStore } from '../../store/organisations-store.ts';
import { auditStore } from '../../store/audit-store.ts';
import { sessionsStore } from '../../store/sessions-store.ts';
import { actorOf } from './actor.ts';

export function organisationsRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  const { db } = deps;

  router.get('/organisations', async (ctx: AppContext) => {
    const list = await organisationsStore(db).list();
    sendJson(ctx, 200, list.map(organisationToJson));
  });

  router.get('/organisations/:id', async (ctx: AppContext) => {
    const org = await organisationsStore(db).find(ctx.params.id);
    if (!org) throw notFound(`no organisation ${ctx.params.id}`);
    sendJson(ctx, 200, organisationToJson(org));
  });

  router.post('/organisations', async (ctx: AppContext) => {
    const changes = parseOrganisationChanges(await readJson(ctx, deps.config.maxBodyBytes), true);
    const candidate = {
      name: changes.name!,
      type: changes.type!,
      organisationNumber: changes.organisationNumber ?? null,
      schoolForm: changes.schoolForm ?? null,
      reportsViaFile: changes.reportsViaFile ?? false,
      active: changes.active ?? true,
      postalAddress: changes.postalAddress ?? null,
    };
    checkOrganisation(candidate);
    const now = deps.now();
    const org = await db.transaction(async (trx) => {
      const created = await organisationsStore(trx).create(candidate, now);
      await auditStore(trx).append({
        ...actorOf(ctx),
        orgId: created.id,
        action: 'organisation.create',
        resourceType: 'Organisation',
        resourceId: created.id,
        changes: Object.fromEntries(Object.entries(candidate).map(([k, v]) => [k, { after: v }])),
      }, now);
      return created;
    });
    ctx.set('Location', `/admin/v1/organisations/${org.id}`);
    sendJson(ctx, 201, organisationToJson(org));
  });

  router.patch('/organisations/:id', async (ctx: AppContext) => {
    const changes = parseOrganisationChanges(await readJson(ctx, deps.config.maxBodyBytes), false);
    const now = deps.now();
    const org = await db.transaction(async (trx) => {
      const store = organisationsStore(trx);
      const before = await store.find(ctx.params.id);
      if (!before) throw notFound(`no organisation ${ctx.params.id}`);
      const { id: _id, created: _c, modified: _m, ...current } = before;
      // The type decides which groups exist, so it is fixed once the organisation is created.
      if (changes.type !== undefined && changes.type !== before.type) {
        throw new ScimError(400, 'type cannot be changed after creation', 'mutability');
      }
      checkOrganisation({ ...current, ...changes });
      const after = (await store.update(before.id, changes, now))!;
      // SPEC §6.2: deactivating the organisation ends its users' sessions for good.
      if (before.active && !after.active) await sessionsStore(trx).endAllIn(before.id, now);
      const diff: Record<string, { before: unknown; after: unknown }> = {};
      for (const key of Object.keys(changes) as (keyof typeof changes)[]) {
        if (before[key] !== after[key]) diff[key] = { before: before[key], after: after[key] };
      }
      await auditStore(trx).append({ ...actorOf(ctx), orgId: before.id, action: 'organisation.update', resourceType: 'Organisation', resourceId: before.id, changes: diff }, now);
      return after;
    });
    // Deactivation and a new school form take effect at once in this process.
    deps.caches?.invalidate();
    sendJson(ctx, 200, organisationToJson(org));
  });

  return router;
}
