// SPEC §5.4: how much one request may ask for. Each bound is checked before the work it limits
// and refused with a 4xx whose detail names it; discovery advertises those SCIM has a place for
// (ServiceProviderConfig bulk.maxOperations, filter.maxResults, pagination.maxPageSize), the
// README lists the others. Filter bounds live with the filter (filter.ts), the body size in config.
import { badRequest, type ScimError } from './scim-error.ts';

/** Values of one multi-valued User attribute (`emails`, `addresses`, …), after any PATCH operation. */
export const MAX_ATTRIBUTE_VALUES = 100;

/** The refusal of a multi-valued attribute with more values than MAX_ATTRIBUTE_VALUES. */
export function tooManyValues(label: string, count?: number): ScimError {
  const holds = count === undefined ? `more than ${MAX_ATTRIBUTE_VALUES}` : String(count);
  return badRequest(`'${label}' has ${holds} values; a multi-valued attribute may hold at most ${MAX_ATTRIBUTE_VALUES}`, 'invalidValue');
}

/** Operations in one PATCH; an attribute of a value without `path` counts as one (RFC 7644 §3.5.2). */
export const MAX_PATCH_OPERATIONS = 1000;

/**
 * Comparisons in the path filters of one PATCH together (our bound beyond SPEC §5.4's 50 per
 * filter): a path filter runs over every value of its attribute, and 1,000 filters of 50
 * comparisons over 100 values would be five million comparisons, some 150 ms of CPU. Clients
 * send one or two per filtered path (`emails[type eq "work"].value`, `members[value eq "…"]`).
 */
export const MAX_PATCH_FILTER_COMPARISONS = 1000;

/** Group member values named in one PATCH, over all its operations and path filters. */
export const MAX_PATCH_MEMBER_VALUES = 10_000;

/** The largest `startIndex` (a 32-bit signed integer, what clients and PostgreSQL's int agree on). */
export const MAX_START_INDEX = 2_147_483_647;
