import Router from '@koa/router';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendJson } from '../respond.ts';
import { importUsers, parseImportRequest, type ImportResult } from '../../domain/user-import.ts';
import { operatorInOrganisation } from '../../domain/tenant-request.ts';
import type { Principal } from '../../model/principal.ts';
import { actingOf } from './actor.ts';
import { scimErrorOf } from '../outcome-errors.ts';

/**
 * POST /admin/v1/organisations/{orgId}/import (SPEC §6.4, `idm import`): one batch of CSV rows,
 * written under the rules of SCIM (see src/domain/user-import.ts). Answers 200 with one result
 * per row, in the order of the request, whatever their outcome; a malformed body or an unknown
 * organisation refuses the batch whole.
 */
export function importRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.post('/organisations/:orgId/import', async (ctx: AppContext) => {
    const request = parseImportRequest(await readJson(ctx, deps.config.maxBodyBytes));
    const req = await operatorInOrganisation(deps.repos, ctx.params.orgId, actingOf(ctx, deps));
    const operator = req.principal;
    // Under provisioner rules the operator still signs every audit event with its own subject.
    const principal: Principal = request.rules === 'operator' ? operator : { ...operator, role: 'provisioner', orgId: req.org.id };
    const results = await importUsers({ ...req, principal }, request, { clock: deps.now, describe: scimErrorOf });
    sendJson(ctx, 200, { ...countOutcomes(results), results });
  });

  return router;
}

function countOutcomes(results: ImportResult[]) {
  const counts = { created: 0, updated: 0, unchanged: 0, refused: 0 };
  for (const r of results) counts[r.outcome]++;
  return counts;
}
