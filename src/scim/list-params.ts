import { badRequest, ScimError } from './scim-error.ts';
import { MAX_START_INDEX } from './bounds.ts';

/** RFC 7644 §3.4.2.3 */
export type SortOrder = 'ascending' | 'descending';

/** The listing parameters of RFC 7644 §3.4.2 and RFC 9865, from a query string or a SearchRequest body. */
export interface ListParams {
  filter?: string;
  sortBy?: string;
  sortOrder: SortOrder;
  startIndex: number;
  count: number;
  /** Present (possibly empty, meaning the first page) when the client asks for cursor paging. */
  cursor?: string;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

export interface PagingLimits {
  defaultPageSize: number;
  maxPageSize: number;
}

/**
 * A whole number from a query string (decimal digits, an optional sign) or a SearchRequest body (a
 * JSON integer). Anything else is refused before it reaches SQL, where it could only fail there.
 */
function integer(value: unknown, name: string, scimType: 'invalidValue' | 'invalidCount' = 'invalidValue'): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n)) throw new ScimError(400, `${name} must be an integer`, scimType);
  return n;
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) throw badRequest(`${name} may be given once`, 'invalidValue');
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`, 'invalidValue');
  return value;
}

export function parseListParams(source: Record<string, unknown>, limits: PagingLimits): ListParams {
  const sortOrderText = text(source.sortOrder, 'sortOrder');
  if (sortOrderText !== undefined && !['ascending', 'descending'].includes(sortOrderText.toLowerCase())) {
    throw badRequest('sortOrder must be "ascending" or "descending"', 'invalidValue');
  }
  const cursor = text(source.cursor, 'cursor');
  const startIndexRaw = integer(source.startIndex, 'startIndex');
  // SPEC §5.4: startIndex 1 … 2,147,483,647. RFC 7644 §3.4.2.4 reads a value below 1 as 1; the
  // upper end is our bound (the RFC sets none), refused rather than sent on to the database.
  if (startIndexRaw !== undefined && startIndexRaw > MAX_START_INDEX) {
    throw badRequest(`startIndex must be at most ${MAX_START_INDEX}`, 'invalidValue');
  }
  let count: number;
  if (cursor !== undefined) {
    if (startIndexRaw !== undefined) throw badRequest('use either startIndex or cursor, not both', 'invalidValue');
    // RFC 9865 §2: with cursors, a count the server cannot honour is an error rather than capped.
    const asked = integer(source.count, 'count', 'invalidCount');
    if (asked !== undefined && (asked < 0 || asked > limits.maxPageSize)) {
      throw new ScimError(400, `count must be between 0 and ${limits.maxPageSize}`, 'invalidCount');
    }
    count = asked ?? limits.defaultPageSize;
  } else {
    // RFC 7644 §3.4.2.4: a negative count means 0, a count above the maximum is capped, and a
    // startIndex below 1 means 1.
    const asked = integer(source.count, 'count');
    count = Math.min(Math.max(asked ?? limits.defaultPageSize, 0), limits.maxPageSize);
  }
  return {
    filter: text(source.filter, 'filter'),
    sortBy: text(source.sortBy, 'sortBy'),
    sortOrder: sortOrderText?.toLowerCase() === 'descending' ? 'descending' : 'ascending',
    startIndex: Math.max(startIndexRaw ?? 1, 1),
    count,
    cursor,
    attributes: source.attributes,
    excludedAttributes: source.excludedAttributes,
  };
}
