import type { ParsedUrlQuery } from 'node:querystring';
import { badRequest, ScimError } from '../../scim/scim-error.ts';
import { queryFingerprint } from '../../scim/cursor.ts';
import type { AuditFilter, AuditPosition } from '../../model/audit.ts';

/**
 * The query string of `GET /api/v1/audit` and `GET /admin/v1/audit`, parsed into typed values or
 * refused with a 400 before any SQL is built. Unknown and repeated parameters are refused too: a
 * misspelt filter silently ignored would answer with the whole trail.
 */

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 500;

export interface AuditListingParams {
  filter: AuditFilter & { organisationId?: string };
  after: AuditPosition | undefined;
  count: number;
  /** Ties a cursor to the listing (scope and filters) it was issued for. */
  fingerprint: string;
}

const TEXT_FILTERS = ['resourceType', 'resourceId', 'actor', 'action'] as const;
const MAX_TEXT = 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `scope` names whose events are read ("org:<id>" or "all"); `organisationFilter` allows the
 * operator's `organisationId` parameter.
 */
export function parseAuditParams(query: ParsedUrlQuery, options: { scope: string; organisationFilter: boolean }): AuditListingParams {
  const allowed = new Set(['cursor', 'count', 'from', 'to', ...TEXT_FILTERS, ...(options.organisationFilter ? ['organisationId'] : [])]);
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.has(name)) throw badRequest(`unknown query parameter "${name}"; the parameters are ${[...allowed].join(', ')}`, 'invalidSyntax');
    if (Array.isArray(value)) throw badRequest(`the query parameter "${name}" is given more than once`, 'invalidSyntax');
    if (value !== undefined) values[name] = value;
  }

  const filter: AuditListingParams['filter'] = {};
  if (values.from !== undefined) filter.from = parseDateTime('from', values.from);
  if (values.to !== undefined) filter.to = parseDateTime('to', values.to);
  for (const name of TEXT_FILTERS) {
    const value = values[name];
    if (value === undefined) continue;
    if (value === '' || value.length > MAX_TEXT) throw badRequest(`${name} must be a non-empty string of at most ${MAX_TEXT} characters`, 'invalidValue');
    filter[name] = value;
  }
  if (values.organisationId !== undefined) {
    if (!UUID.test(values.organisationId)) throw badRequest('organisationId must be an organisation id (a UUID)', 'invalidValue');
    filter.organisationId = values.organisationId.toLowerCase();
  }

  const fingerprint = queryFingerprint(['audit', options.scope, filter]);
  return {
    filter,
    count: parseCount(values.count),
    after: values.cursor === undefined || values.cursor === '' ? undefined : decodeAuditCursor(values.cursor, fingerprint),
    fingerprint,
  };
}

// RFC 9865 §4: a count the server will not honour with cursor paging is invalidCount, not capped.
function parseCount(text: string | undefined): number {
  if (text === undefined) return DEFAULT_COUNT;
  const count = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= MAX_COUNT)) throw new ScimError(400, `count must be a whole number from 1 to ${MAX_COUNT}`, 'invalidCount');
  return count;
}

// ISO 8601 date-time with seconds optional, up to nine fractional digits (.NET sends seven) and a
// required offset: a time without one would mean a different instant to each reader.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

/**
 * Checks every field (no 30 February, no hour 24) and returns the text for PostgreSQL to read as
 * timestamptz, keeping its precision. An unencoded `+` in a query string arrives as a space, so
 * "…T08:00:00 01:00" is read as "+01:00".
 */
export function parseDateTime(name: string, text: string): string {
  const value = text.replace(/ (\d{2}:?\d{2})$/, '+$1');
  const m = DATE_TIME.exec(value);
  const invalid = () => badRequest(`${name} must be an ISO 8601 date-time with an offset, such as 2026-03-01T08:00:00Z or 2026-03-01T09:00:00+01:00`, 'invalidValue');
  if (!m) throw invalid();
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[8].toUpperCase() === 'Z' || (Number(m[10]) <= 14 && Number(m[11]) <= 59);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !offsetOk) throw invalid();
  return value.toUpperCase();
}

interface CursorBody {
  a: string;
  i: string;
  q: string;
}

/** Opaque to clients: base64url JSON of the last event's (at, id) and the listing's fingerprint. */
export function encodeAuditCursor(position: AuditPosition, fingerprint: string): string {
  const body: CursorBody = { a: position.at, i: position.id, q: fingerprint };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const MAX_BIGINT = 9223372036854775807n;

// The trail only grows at its newest end, so a position never goes stale: cursors do not expire.
function decodeAuditCursor(text: string, fingerprint: string): AuditPosition {
  const invalid = (detail = 'the cursor is not one this server issued') => new ScimError(400, detail, 'invalidCursor');
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null || typeof body.a !== 'string' || typeof body.i !== 'string' || typeof body.q !== 'string') throw invalid();
  if (!/^[1-9]\d{0,18}$/.test(body.i) || BigInt(body.i) > MAX_BIGINT || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(body.a)) throw invalid();
  try {
    parseDateTime('cursor', body.a);
  } catch {
    throw invalid();
  }
  if (body.q !== fingerprint) throw invalid('the cursor belongs to a listing with other filters; start again without a cursor');
  return { at: body.a, id: body.i };
}
