import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { readableFrom } from '../stream-json.ts';
import { badRequest, notFound } from '../../scim/scim-error.ts';
import type { TenantRequest } from '../../domain/tenant-request.ts';
import { adminToJson, getAdmin, grantAdmin, listAdmins, parseDeclaration, revokeAdmin, swedishDate } from '../../domain/administrators.ts';
import { completeTermination, terminationToJson, type Acting } from '../../domain/terminations.ts';
import { parsePurgeRequest, purgeUsers } from '../../domain/purge.ts';
import { organisationsStore, isUuid } from '../../store/organisations-store.ts';
import { terminationQueue, TERMINATION_STATUSES, type TerminationStatus } from '../../store/terminations-store.ts';
import { outboxStore, type OutboxEntry } from '../../store/outbox-store.ts';
import { importRoutes } from './import-routes.ts';

const MAX_LIMIT = 1000;
// The open queue is short and read whole; outbox bodies are long, so a screenful by default.
const TERMINATIONS_LIMIT = MAX_LIMIT;
const OUTBOX_LIMIT = 100;

/** Operator API for administrators, terminations, purge and the outbox (SPEC §6.4). */
export function domainAdminRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();
  const { db } = deps;

  const acting = (ctx: AppContext): Acting => ({ principal: ctx.state.principal!, requestId: ctx.state.requestId, now: deps.now() });

  /** The operator acting in the organisation of the path, as the domain's tenant request. */
  const inOrganisation = async (ctx: AppContext): Promise<TenantRequest> => {
    const org = await organisationsStore(db).find(ctx.params.orgId);
    if (!org) throw notFound(`no organisation ${ctx.params.orgId}`);
    return { db, org, ...acting(ctx) };
  };

  // SPEC §3.5: administrators and their declarations.
  router.get('/organisations/:orgId/administrators', async (ctx: AppContext) => {
    const req = await inOrganisation(ctx);
    sendJson(ctx, 200, (await listAdmins(req)).map((a) => adminToJson(req.org.id, a)));
  });

  router.get('/organisations/:orgId/administrators/:userId', async (ctx: AppContext) => {
    const req = await inOrganisation(ctx);
    sendJson(ctx, 200, adminToJson(req.org.id, await getAdmin(req, ctx.params.userId)));
  });

  router.post('/organisations/:orgId/administrators', async (ctx: AppContext) => {
    const body = await readJson(ctx, deps.config.maxBodyBytes);
    const req = await inOrganisation(ctx);
    const admin = await grantAdmin(req, parseDeclaration(body, req.org.type, swedishDate(req.now)));
    ctx.set('Location', `/admin/v1/organisations/${req.org.id}/administrators/${admin.user_id}`);
    sendJson(ctx, 201, adminToJson(req.org.id, admin));
  });

  router.delete('/organisations/:orgId/administrators/:userId', async (ctx: AppContext) => {
    await revokeAdmin(await inOrganisation(ctx), ctx.params.userId);
    ctx.status = 204;
  });

  // SPEC §3.3: termination requests, across organisations.
  router.get('/terminations', async (ctx: AppContext) => {
    const rows = await terminationQueue(db).list({
      status: statusParam(ctx.query.status),
      orgId: organisationParam(ctx.query.organisationId),
      limit: limitParam(ctx.query.limit, TERMINATIONS_LIMIT),
    });
    sendJson(ctx, 200, rows.map(terminationToJson));
  });

  router.get('/terminations/:id', async (ctx: AppContext) => {
    const row = await terminationQueue(db).find(ctx.params.id);
    if (!row) throw notFound(`no termination request ${ctx.params.id}`);
    sendJson(ctx, 200, terminationToJson(row));
  });

  router.post('/terminations/:id/complete', async (ctx: AppContext) => {
    sendJson(ctx, 200, terminationToJson(await completeTermination(db, ctx.params.id, acting(ctx))));
  });

  // SPEC §3.6: the list is streamed as it is read (dry run) or deleted (batch by batch), so a
  // large first purge is never held in memory. Each batch commits on its own.
  router.post('/purge', async (ctx: AppContext) => {
    const options = parsePurgeRequest(await readJson(ctx, deps.config.maxBodyBytes));
    const pages = purgeUsers(db, options, acting(ctx));
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

  // SPEC §3.8: letters and e-mails, newest first.
  router.get('/outbox', async (ctx: AppContext) => {
    const status = ctx.query.status;
    if (status !== undefined && (typeof status !== 'string' || !/^[a-z_]{1,32}$/.test(status))) throw badRequest('status must be a status word such as pending or delivered', 'invalidValue');
    const rows = await outboxStore(db).list({ status, orgId: organisationParam(ctx.query.organisationId), limit: limitParam(ctx.query.limit, OUTBOX_LIMIT) });
    sendJson(ctx, 200, rows.map(outboxToJson));
  });

  router.use(importRoutes(deps).routes());
  return router;
}

type QueryValue = string | string[] | undefined;

function statusParam(value: QueryValue): TerminationStatus | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(TERMINATION_STATUSES as readonly string[]).includes(value)) {
    throw badRequest(`status must be one of ${TERMINATION_STATUSES.join(', ')}`, 'invalidValue');
  }
  return value as TerminationStatus;
}

function organisationParam(value: QueryValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isUuid(value)) throw badRequest('organisationId must be an organisation id (a UUID)', 'invalidValue');
  return value;
}

function limitParam(value: QueryValue, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw badRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}`, 'invalidValue');
  return limit;
}

function outboxToJson(entry: OutboxEntry): Record<string, unknown> {
  return {
    id: entry.id,
    organisationId: entry.orgId,
    channel: entry.channel,
    recipient: entry.recipient,
    subject: entry.subject,
    body: entry.body,
    status: entry.status,
    attempts: entry.attempts,
    lastError: entry.lastError,
    createdAt: entry.createdAt.toISOString(),
    deliveredAt: entry.deliveredAt ? entry.deliveredAt.toISOString() : null,
  };
}
