import type { Knex } from 'knex';
import { isUuid } from '../model/ids.ts';

export type SignerTitle = 'rektor' | 'forvaltningschef';

export interface DeclarationRow {
  org_id: string;
  id: string;
  user_id: string;
  reference: string;
  signed_by: string;
  signed_by_title: SignerTitle;
  /** YYYY-MM-DD, read as text so no time zone shifts the date. */
  signed_at: string;
  granted_by: string;
  granted_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}

/** A member of the admin group with the declaration in force, if any (none for a legacy member). */
export interface AdminRow {
  user_id: string;
  user_name: string;
  declaration: DeclarationRow | null;
}

export interface DeclarationWrite {
  id: string;
  userId: string;
  reference: string;
  signedBy: string;
  signedByTitle: SignerTitle;
  signedAt: string;
  grantedBy: string;
}

// signed_at is a date; read as text, since a driver turns a date into local midnight.
const COLUMNS = `d.org_id, d.id, d.user_id, d.reference, d.signed_by, d.signed_by_title, d.signed_at::text as signed_at,
  d.granted_by, d.granted_at, d.revoked_at, d.revoked_by`;

/** Declarations of one organisation (SPEC §3.5). Every statement carries `org_id = ?`. */
export function adminDeclarationsStore(db: Knex, orgId: string) {
  const declarations = () => db('admin_declarations as d').where('d.org_id', orgId);

  return {
    async insert(write: DeclarationWrite, now: Date): Promise<DeclarationRow> {
      await db('admin_declarations').insert({
        org_id: orgId,
        id: write.id,
        user_id: write.userId,
        reference: write.reference,
        signed_by: write.signedBy,
        signed_by_title: write.signedByTitle,
        signed_at: write.signedAt,
        granted_by: write.grantedBy,
        granted_at: now,
      });
      return declarations().where('d.id', write.id).first(db.raw(COLUMNS));
    },

    /** Marks the declaration in force for the user revoked; undefined when there was none. */
    async revoke(userId: string, revokedBy: string, now: Date): Promise<DeclarationRow | undefined> {
      if (!isUuid(userId)) return undefined;
      const [revoked] = await db('admin_declarations')
        .where({ org_id: orgId, user_id: userId })
        .whereNull('revoked_at')
        .update({ revoked_at: now, revoked_by: revokedBy })
        .returning('id');
      if (!revoked) return undefined;
      return declarations().where('d.id', revoked.id).first(db.raw(COLUMNS));
    },

    /**
     * The members of the admin group (they are the admins, SPEC §3.5) with their declarations in
     * force, by userName. A membership row is what makes an admin; a declaration alone does not.
     */
    async admins(groupId: string, userId?: string): Promise<AdminRow[]> {
      const query = db('memberships as m')
        .join('users as u', function () {
          this.on('u.org_id', 'm.org_id').andOn('u.id', 'm.user_id');
        })
        .leftJoin('admin_declarations as d', function () {
          this.on('d.org_id', 'm.org_id').andOn('d.user_id', 'm.user_id').andOnNull('d.revoked_at');
        })
        .where({ 'm.org_id': orgId, 'm.group_id': groupId })
        .orderBy([{ column: 'u.user_name' }, { column: 'u.id' }])
        .select('u.id as member_id', 'u.user_name as member_name', db.raw(COLUMNS));
      if (userId !== undefined) {
        if (!isUuid(userId)) return [];
        query.where('m.user_id', userId);
      }
      const rows: (DeclarationRow & { member_id: string; member_name: string })[] = await query;
      return rows.map(({ member_id, member_name, ...d }) => ({
        user_id: member_id,
        user_name: member_name,
        declaration: d.id ? (d as DeclarationRow) : null,
      }));
    },
  };
}
