import Router from '@koa/router';
import type { Logger } from 'pino';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendScim } from '../respond.ts';
import { baseUrlOf, tenantRequest } from './tenant.ts';
import { BULK_RESPONSE, schemaRegistry } from '../../scim/schema-registry.ts';
import { parseBulkRequest } from '../../scim/bulk.ts';
import { ScimError } from '../../scim/scim-error.ts';
import { scimErrorOf } from '../outcome-errors.ts';
import { runBulk } from '../../domain/bulk.ts';

interface BulkConfig {
  maxOperations: number;
  maxPayloadSize: number;
}

/** RFC 7644 §3.7 POST /Bulk: decode, run the operations in the domain, encode. */
export function bulkRoutes(deps: AppDeps, log: Logger): Router<AppState> {
  const router = new Router<AppState>();
  const limits = schemaRegistry().serviceProviderConfig.bulk as BulkConfig;

  router.post('/Bulk', async (ctx: AppContext) => {
    const request = parseBulkRequest(await readJson(ctx, limits.maxPayloadSize), limits.maxOperations);
    const req = await tenantRequest(ctx, deps);
    const requestId = ctx.state.requestId;
    const results = await runBulk(req, request, {
      baseUrl: baseUrlOf(ctx),
      now: deps.now,
      describe: (err) => {
        const known = scimErrorOf(err);
        if (known) return known;
        log.error({ err, requestId }, 'bulk operation failed');
        return new ScimError(500, `internal error; quote request id ${requestId}`);
      },
    });
    sendScim(ctx, 200, { schemas: [BULK_RESPONSE], Operations: results });
  });

  return router;
}
