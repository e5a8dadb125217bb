import Router from '@koa/router';
import type { Logger } from 'pino';
import type { Knex } from 'knex';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { readJson } from '../body.ts';
import { sendScim } from '../respond.ts';
import { baseUrlOf, tenantRequest } from './tenant.ts';
import { groupActions, userActions, type WriteContext, type WriteResult } from './resource-actions.ts';
import { BULK_RESPONSE, type SchemaRegistry } from '../../scim/schema-registry.ts';
import { parseBulkRequest, referencesOf, resolvePath, resolveReferences, type BulkOperation } from '../../scim/bulk.ts';
import { ScimError, notFound } from '../../scim/scim-error.ts';
import { isTransient, scimErrorFromDatabase } from '../../store/database-errors.ts';
import { lockGroups } from '../../domain/groups-service.ts';

/** Runs of an operation chosen as a deadlock victim before it is reported as 409. */
const OPERATION_ATTEMPTS = 3;

/** Bounds the JSON a single creation statement carries. */
const MAX_CREATIONS_PER_STATEMENT = 500;

interface BulkConfig {
  maxOperations: number;
  maxPayloadSize: number;
}

interface OperationResult {
  method: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: Record<string, unknown>;
}

/** RFC 7644 §3.7: each operation runs through the same actions as the single request would. */
async function dispatch(c: WriteContext, op: BulkOperation, path: string, data: unknown): Promise<WriteResult> {
  const match = /^\/(Users|Groups)(?:\/([^/]+))?$/i.exec(path);
  if (!match) throw notFound(`no resource at ${path}`);
  const actions = match[1].toLowerCase() === 'users' ? userActions : groupActions;
  const id = match[2];
  if (op.method === 'POST') {
    if (id) throw new ScimError(405, 'POST goes to /Users or /Groups, without an id');
    return actions.create(c, data);
  }
  if (!id) throw new ScimError(405, `${op.method} needs a resource id in the path`);
  if (op.method === 'PUT') return actions.replace(c, id, data);
  if (op.method === 'PATCH') return actions.patch(c, id, data);
  return actions.delete(c, id);
}

export function bulkRoutes(deps: AppDeps, registry: SchemaRegistry, log: Logger): Router<AppState> {
  const router = new Router<AppState>();
  const limits = registry.serviceProviderConfig.bulk as BulkConfig;

  router.post('/Bulk', async (ctx: AppContext) => {
    const request = parseBulkRequest(await readJson(ctx, limits.maxPayloadSize), limits.maxOperations);
    const req = await tenantRequest(ctx, deps);
    const baseUrl = baseUrlOf(ctx);
    const byBulkId = new Map(request.operations.filter((o) => o.bulkId).map((o) => [o.bulkId!, o]));
    const created = new Map<string, string>();
    const results = new Map<number, OperationResult>();
    const running = new Set<number>();
    let errors = 0;

    const succeed = (op: BulkOperation, result: WriteResult): OperationResult => {
      const outcome: OperationResult = { method: op.method, status: String(result.status) };
      if (op.bulkId) outcome.bulkId = op.bulkId;
      if (result.kind !== 'deleted') {
        outcome.location = result.location;
        outcome.version = result.etag;
        if (op.bulkId && op.method === 'POST') created.set(op.bulkId, result.kind === 'user' ? result.user.row.id : result.group.id);
      }
      results.set(op.index, outcome);
      return outcome;
    };
    const fail = (op: BulkOperation, err: unknown): OperationResult => {
      const error = err instanceof ScimError ? err : (scimErrorFromDatabase(err) ?? internal(log, err, ctx.state.requestId));
      const outcome: OperationResult = { method: op.method, status: String(error.status), response: error.toBody() };
      if (op.bulkId) outcome.bulkId = op.bulkId;
      results.set(op.index, outcome);
      errors++;
      return outcome;
    };
    const writeContext = (savepoint: Knex.Transaction, op?: BulkOperation): WriteContext =>
      ({ registry, req: { ...req, db: savepoint, now: deps.now() }, baseUrl, ifMatch: op?.version });

    // An operation that refers to another's bulkId runs after it, whatever their order in the
    // request; a reference that cannot be resolved (unknown, failed, circular) fails the operation.
    const run = async (op: BulkOperation): Promise<OperationResult> => {
      const done = results.get(op.index);
      if (done) return done;
      if (running.has(op.index)) throw new ScimError(409, `bulkId references of operation ${op.index} form a cycle`, 'invalidValue');
      running.add(op.index);
      try {
        for (const ref of referencesOf(op)) {
          const target = byBulkId.get(ref);
          if (!target) throw new ScimError(400, `bulkId "${ref}" is not defined in this request`, 'invalidValue');
          const outcome = await run(target);
          if (!created.has(ref)) throw new ScimError(409, `operation with bulkId "${ref}" did not succeed (${outcome.status})`, 'invalidValue');
        }
        // Each operation in a savepoint of the request's one transaction: a failed operation
        // leaves nothing behind, and the whole Bulk costs one commit rather than one per operation.
        // A deadlock victim's savepoint is rolled back, so the operation can simply run again.
        for (let attempt = 1; ; attempt++) {
          try {
            const result = await bulkTransaction!.transaction((savepoint) =>
              dispatch(writeContext(savepoint, op), op, resolvePath(op.path, created), resolveReferences(op.data, created)));
            return succeed(op, result);
          } catch (err) {
            if (!isTransient(err) || attempt >= OPERATION_ATTEMPTS) throw err;
          }
        }
      } catch (err) {
        return fail(op, err);
      } finally {
        running.delete(op.index);
      }
    };

    // Consecutive POST /Users that refer to no bulkId are created by one statement: they depend on
    // nothing before them but their names, which the statement settles in request order. Under
    // failOnErrors each runs alone, so that the count stops exactly where it should.
    const creatable = (op: BulkOperation) =>
      request.failOnErrors === undefined && op.method === 'POST' && /^\/Users$/i.test(op.path) && !results.has(op.index) && referencesOf(op).size === 0;
    const runCreations = async (ops: BulkOperation[]): Promise<void> => {
      let outcomes: (WriteResult | ScimError)[];
      try {
        outcomes = await bulkTransaction!.transaction((savepoint) => userActions.createMany(writeContext(savepoint), ops.map((op) => op.data)));
      } catch {
        // Not a client's refusal (those are outcomes): let each run alone and answer for itself.
        for (const op of ops) await run(op);
        return;
      }
      ops.forEach((op, i) => {
        const outcome = outcomes[i];
        if (outcome instanceof ScimError) fail(op, outcome);
        else succeed(op, outcome);
      });
    };

    const order: number[] = [];
    let bulkTransaction: Knex.Transaction | undefined;
    await deps.db.transaction(async (trx) => {
      bulkTransaction = trx;
      const ops = request.operations;
      await lockGroups({ ...req, db: trx }, ops.map((op) => /^\/Groups\/([^/]+)$/i.exec(op.path)?.[1]).filter((id): id is string => id !== undefined));
      for (let i = 0; i < ops.length;) {
        if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break;
        const before = new Set(results.keys());
        let end = i;
        while (end < ops.length && end - i < MAX_CREATIONS_PER_STATEMENT && creatable(ops[end])) end++;
        if (end - i > 1) {
          await runCreations(ops.slice(i, end));
          i = end;
        } else {
          await run(ops[i++]);
        }
        for (const index of results.keys()) if (!before.has(index)) order.push(index);
      }
    });
    sendScim(ctx, 200, { schemas: [BULK_RESPONSE], Operations: order.map((i) => results.get(i)!) });
  });

  return router;
}

function internal(log: Logger, err: unknown, requestId: string): ScimError {
  log.error({ err, requestId }, 'bulk operation failed');
  return new ScimError(500, `internal error; quote request id ${requestId}`);
}
