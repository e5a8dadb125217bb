import type { UserRow } from '../store/users-store.ts';
import type { GroupRow } from '../store/groups-store.ts';
import type { TenantRequest } from './tenant-request.ts';

/**
 * What follows from a user write besides the row itself (termination requests when an admin or
 * provisioner deactivates a user, SPEC §3.3). Kept apart so single requests and Bulk share it.
 */
export const userLifecycle = {
  async afterWrite(_tx: TenantRequest, _before: UserRow | undefined, _after: UserRow): Promise<void> {
    // Termination requests arrive with the domain-rules issue.
  },

  async afterMembershipChange(_tx: TenantRequest, _group: GroupRow, _added: string[], _removed: string[]): Promise<void> {
    // Credentials on a user's first grant arrive with the credentials issue.
  },
};
