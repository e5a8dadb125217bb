import { referencesOf, resolvePath, resolveReferences, type BulkOperation, type BulkRequest } from '../scim/bulk.ts';
import type { ScimError } from '../scim/scim-error.ts';
import { Conflict, NotAllowed, invalid, notFound } from '../model/outcomes.ts';
import { isClientFailure, type DescribeFailure } from './failures.ts';
import type { Repositories } from '../store/repositories.ts';
import { groupActions, userActions, type WriteContext, type WriteResult } from './resource-actions.ts';
import { lockGroups } from './groups-service.ts';
import type { TenantRequest } from './tenant-request.ts';

/** Bounds the JSON a single creation statement carries. */
const MAX_CREATIONS_PER_STATEMENT = 500;

/** One entry of a BulkResponse's Operations (RFC 7644 §3.7.3). */
export interface BulkOperationResult {
  method: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: Record<string, unknown>;
}

export interface BulkOptions {
  /** The SCIM base URL of `location` values. */
  baseUrl: string;
  /** The clock each operation reads when it starts. */
  now: () => Date;
  /**
   * The SCIM error an operation's failure is reported as: the edge's one mapping of typed
   * outcomes, which also answers (and logs) a failure that is not the client's doing as 500.
   */
  describe: DescribeFailure;
}

/** RFC 7644 §3.7: each operation runs through the same actions as the single request would. */
async function dispatch(c: WriteContext, op: BulkOperation, path: string, data: unknown): Promise<WriteResult> {
  const match = /^\/(Users|Groups)(?:\/([^/]+))?$/i.exec(path);
  if (!match) throw notFound(`no resource at ${path}`);
  const actions = match[1].toLowerCase() === 'users' ? userActions : groupActions;
  const id = match[2];
  if (op.method === 'POST') {
    if (id) throw new NotAllowed('POST goes to /Users or /Groups, without an id');
    return actions.create(c, data);
  }
  if (!id) throw new NotAllowed(`${op.method} needs a resource id in the path`);
  if (op.method === 'PUT') return actions.replace(c, id, data);
  if (op.method === 'PATCH') return actions.patch(c, id, data);
  return actions.delete(c, id);
}

/**
 * Runs a Bulk request (RFC 7644 §3.7) in one transaction, each operation in a savepoint of it: a
 * failed operation leaves nothing behind, and the whole Bulk costs one commit rather than one per
 * operation. A deadlock victim's savepoint is rolled back and run again by the repositories' one
 * retry policy. Returns the results in the order the operations ran.
 */
export async function runBulk(req: TenantRequest, request: BulkRequest, options: BulkOptions): Promise<BulkOperationResult[]> {
  const byBulkId = new Map(request.operations.filter((o) => o.bulkId).map((o) => [o.bulkId!, o]));
  const created = new Map<string, string>();
  const results = new Map<number, BulkOperationResult>();
  const running = new Set<number>();
  let errors = 0;

  const succeed = (op: BulkOperation, result: WriteResult): BulkOperationResult => {
    const outcome: BulkOperationResult = { method: op.method, status: String(result.status) };
    if (op.bulkId) outcome.bulkId = op.bulkId;
    if (result.kind !== 'deleted') {
      outcome.location = result.location;
      outcome.version = result.etag;
      if (op.bulkId && op.method === 'POST') created.set(op.bulkId, result.kind === 'user' ? result.user.row.id : result.group.id);
    }
    results.set(op.index, outcome);
    return outcome;
  };
  const fail = (op: BulkOperation, err: unknown): BulkOperationResult => {
    const error: ScimError = options.describe(err);
    const outcome: BulkOperationResult = { method: op.method, status: String(error.status), response: error.toBody() };
    if (op.bulkId) outcome.bulkId = op.bulkId;
    results.set(op.index, outcome);
    errors++;
    return outcome;
  };
  const writeContext = (repos: Repositories, op?: BulkOperation): WriteContext =>
    ({ req: { ...req, repos, now: options.now() }, baseUrl: options.baseUrl, ifMatch: op?.version });

  const order: number[] = [];
  // Not retried as a whole: the results of operations already run are kept above; each
  // operation's savepoint is retried instead.
  await req.repos.transaction(async (bulk) => {
    // An operation that refers to another's bulkId runs after it, whatever their order in the
    // request; a reference that cannot be resolved (unknown, failed, circular) fails the operation.
    const run = async (op: BulkOperation): Promise<BulkOperationResult> => {
      const done = results.get(op.index);
      if (done) return done;
      if (running.has(op.index)) throw new Conflict(`bulkId references of operation ${op.index} form a cycle`, 'reference');
      running.add(op.index);
      try {
        for (const ref of referencesOf(op)) {
          const target = byBulkId.get(ref);
          if (!target) throw invalid(`bulkId "${ref}" is not defined in this request`, 'invalidValue');
          const outcome = await run(target);
          if (!created.has(ref)) throw new Conflict(`operation with bulkId "${ref}" did not succeed (${outcome.status})`, 'reference');
        }
        const result = await bulk.savepoint((savepoint) =>
          dispatch(writeContext(savepoint, op), op, resolvePath(op.path, created), resolveReferences(op.data, created)));
        return succeed(op, result);
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
      let outcomes: Awaited<ReturnType<typeof userActions.createMany>>;
      try {
        outcomes = await bulk.savepoint((savepoint) => userActions.createMany(writeContext(savepoint), ops.map((op) => op.data)));
      } catch {
        // Not a client's refusal (those are outcomes): let each run alone and answer for itself.
        for (const op of ops) await run(op);
        return;
      }
      ops.forEach((op, i) => {
        const outcome = outcomes[i];
        if (isClientFailure(outcome)) fail(op, outcome);
        else succeed(op, outcome);
      });
    };

    const ops = request.operations;
    await lockGroups({ ...req, repos: bulk }, ops.map((op) => /^\/Groups\/([^/]+)$/i.exec(op.path)?.[1]).filter((id): id is string => id !== undefined));
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
  }, { retry: false });
  return order.map((i) => results.get(i)!);
}
