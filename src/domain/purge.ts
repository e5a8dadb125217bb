import { invalid } from '../model/outcomes.ts';
import type { UngroupedUser } from '../store/users-store.ts';
import type { Repositories } from '../store/repositories.ts';
import { canonicalOf } from './users-service.ts';
import { diffResources } from './diff.ts';
import { completeForPurgedUser } from './terminations.ts';
import { audit, storesFor, type Acting, type TenantRequest } from './tenant-request.ts';

/**
 * Purge (SPEC §3.6): users who are members of no group, and have been since more than N days,
 * are deleted by an operator, organisation by organisation and in batches, each deletion audited.
 * `users.ungrouped_since` says since when (kept by the membership writes of groupsStore and set at creation).
 */

export interface PurgeOptions {
  olderThanDays: number;
  dryRun: boolean;
}

export interface PurgedUser {
  organisationId: string;
  userId: string;
  userName: string;
  ungroupedSince: string;
  deleted: boolean;
}

export const DEFAULT_PURGE_DAYS = 30;
/** A hundred years: anything larger is a typing mistake, not a policy. */
const MAX_PURGE_DAYS = 36_500;
/** Users deleted per transaction: long enough to be quick, short enough not to hold locks long. */
export const PURGE_BATCH = 500;

export function parsePurgeRequest(body: unknown): PurgeOptions {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (key !== 'olderThanDays' && key !== 'dryRun') throw invalid(`unknown attribute "${key}"`, 'invalidSyntax');
  }
  const days = input.olderThanDays ?? DEFAULT_PURGE_DAYS;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > MAX_PURGE_DAYS) {
    throw invalid(`olderThanDays must be a whole number of days from 0 to ${MAX_PURGE_DAYS}`, 'invalidValue');
  }
  const dryRun = input.dryRun ?? false;
  if (typeof dryRun !== 'boolean') throw invalid('dryRun must be true or false', 'invalidValue');
  return { olderThanDays: days, dryRun };
}

export function purgeCutoff(now: Date, olderThanDays: number): Date {
  return new Date(now.getTime() - olderThanDays * 86_400_000);
}

/**
 * The users purged (or, in a dry run, those that would be), one page per batch, so the caller
 * can stream them out while the next batch is read or deleted.
 */
export async function* purgeUsers(repos: Repositories, options: PurgeOptions, acting: Acting): AsyncGenerator<PurgedUser[]> {
  const cutoff = purgeCutoff(acting.now, options.olderThanDays);
  for (const org of await repos.operator.organisations.list()) {
    let after: string | undefined;
    for (;;) {
      const candidates = await repos.forOrg(org.id).users.ungroupedBefore(cutoff, PURGE_BATCH, after);
      if (candidates.length === 0) break;
      after = candidates[candidates.length - 1].key;
      if (options.dryRun) {
        yield candidates.map((row) => purgedUser(row, false));
      } else {
        const deleted = await repos.transaction((trx) => deleteBatch({ repos: trx, org, ...acting }, candidates, cutoff));
        yield deleted.map((row) => purgedUser(row, true));
      }
      if (candidates.length < PURGE_BATCH) break;
    }
  }
}

async function deleteBatch(tx: TenantRequest, candidates: UngroupedUser[], cutoff: Date): Promise<UngroupedUser[]> {
  const deleted = await storesFor(tx).users.deleteUngrouped(candidates.map((c) => c.id), cutoff);
  for (const row of deleted) {
    await audit(tx, {
      action: 'user.purge',
      resourceType: 'User',
      resourceId: row.id,
      changes: { ...diffResources(canonicalOf(row), {}), ungroupedSince: { before: new Date(row.ungroupedSince).toISOString() } },
    });
    await completeForPurgedUser(tx, row.id);
  }
  return deleted;
}

function purgedUser(row: UngroupedUser, deleted: boolean): PurgedUser {
  return {
    organisationId: row.orgId,
    userId: row.id,
    userName: row.userName,
    ungroupedSince: new Date(row.ungroupedSince).toISOString(),
    deleted,
  };
}
