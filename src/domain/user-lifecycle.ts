import type { User } from '../model/user.ts';
import type { Group } from '../model/group.ts';
import { storesFor, type TenantRequest } from './tenant-request.ts';
import { followActiveChange } from './terminations.ts';
import { issueOnFirstGrant, type PreparedPasswords } from './credentials.ts';

/**
 * What follows from a user write or a membership change besides the rows themselves: termination
 * requests when an admin or provisioner deactivates a user (SPEC §3.3), credentials on a first
 * grant (§3.4), the end of the user's sessions (§6.2). Kept apart so single requests, Bulk and the
 * operator API share it.
 */
export const userLifecycle = {
  async afterWrite(tx: TenantRequest, before: User | undefined, after: User, written: { passwordSet: boolean } = { passwordSet: false }): Promise<void> {
    await followActiveChange(tx, before, after);
    // SPEC §6.2: a new password or a deactivation ends every session; they are ended, not
    // suspended, so reactivating the user brings none back.
    const deactivated = before?.active === true && !after.active;
    if (written.passwordSet || deactivated) await storesFor(tx).sessions.endAllOf(after.id, tx.now);
  },

  /** SPEC §3.4: a user's first grant of any group issues credentials, in the same transaction. */
  async afterMembershipChange(tx: TenantRequest, _group: Group, added: string[], _removed: string[], prepared?: PreparedPasswords): Promise<void> {
    await issueOnFirstGrant(tx, added, prepared);
  },
};
