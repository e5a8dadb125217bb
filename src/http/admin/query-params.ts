import { badRequest } from '../../scim/scim-error.ts';
import { isUuid } from '../../model/ids.ts';

/** Listings of the operator API return at most this many rows. */
export const MAX_LIMIT = 1000;

export type QueryValue = string | string[] | undefined;

export function organisationParam(value: QueryValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isUuid(value)) throw badRequest('organisationId must be an organisation id (a UUID)', 'invalidValue');
  return value;
}

export function limitParam(value: QueryValue, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw badRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}`, 'invalidValue');
  return limit;
}
