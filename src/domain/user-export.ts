import { audit, storesFor, type TenantRequest } from './tenant-request.ts';
import type { ExportUserRow } from '../store/user-export-query.ts';
import { preferredEmail } from './emails.ts';

/** The user list an admin downloads (SPEC §6.3): its columns, in this order. */
export const EXPORT_COLUMNS = [
  'userName', 'givenName', 'familyName', 'email', 'active', 'services', 'credentialStatus', 'created', 'lastModified',
] as const;

export type ExportRecord = string[];

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const collator = new Intl.Collator('sv');

/** One row of the export; `services` are the display names of the user's groups. */
export function exportRecord(user: ExportUserRow, services: string[]): ExportRecord {
  const name = (typeof user.name === 'object' && user.name !== null ? user.name : {}) as Record<string, unknown>;
  return [
    user.user_name,
    text(name.givenName),
    text(name.familyName),
    preferredEmail(user.emails) ?? '',
    user.active ? 'true' : 'false',
    [...services].sort(collator.compare).join(', '),
    user.credential_status,
    new Date(user.created_at).toISOString(),
    new Date(user.modified_at).toISOString(),
  ];
}

/**
 * Starts an export: audited when it starts, since it is who read the list that matters, not
 * whether the download completed. Returns the records, read as they are consumed.
 */
export async function startUserExport(req: TenantRequest): Promise<AsyncGenerator<ExportRecord>> {
  await audit(req, { action: 'users.export', resourceType: 'User', resourceId: null, changes: null });
  return userExportRecords(req);
}

/**
 * The organisation's users as export rows, in creation order. Users are read a page at a time and
 * each page's services come from one query over the page's user ids, so memory holds one page
 * whatever the size of the organisation (SPEC §7).
 */
export async function* userExportRecords(req: TenantRequest): AsyncGenerator<ExportRecord> {
  const { groups, exportPages } = storesFor(req);
  for await (const page of exportPages()) {
    const services = new Map<string, string[]>();
    for (const m of await groups.membershipsOf(page.map((u) => u.id))) {
      const names = services.get(m.userId);
      if (names) names.push(m.displayName);
      else services.set(m.userId, [m.displayName]);
    }
    for (const user of page) yield exportRecord(user, services.get(user.id) ?? []);
  }
}
