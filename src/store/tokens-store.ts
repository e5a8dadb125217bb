import type { Knex } from 'knex';
import { notifyCachesStale } from './cache-notifications.ts';
import type { Role } from '../model/principal.ts';

export interface IssuedToken {
  jti: string;
  orgId: string | null;
  role: Role;
  subject: string;
  issuedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  issuedBy: string;
}

interface TokenRow {
  jti: string;
  org_id: string | null;
  role: Role;
  subject: string;
  issued_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  issued_by: string;
}

const fromRow = (r: TokenRow): IssuedToken => ({
  jti: r.jti,
  orgId: r.org_id,
  role: r.role,
  subject: r.subject,
  issuedAt: new Date(r.issued_at),
  expiresAt: new Date(r.expires_at),
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
  issuedBy: r.issued_by,
});

/** The record of issued tokens: the token itself is never stored, only its claims. */
export function tokensStore(db: Knex) {
  return {
    async record(token: IssuedToken): Promise<void> {
      await db('tokens').insert({
        jti: token.jti,
        org_id: token.orgId,
        role: token.role,
        subject: token.subject,
        issued_at: token.issuedAt,
        expires_at: token.expiresAt,
        revoked_at: token.revokedAt,
        issued_by: token.issuedBy,
      });
    },

    async list(filter: { orgId?: string }): Promise<IssuedToken[]> {
      const query = db<TokenRow>('tokens').orderBy([{ column: 'issued_at', order: 'desc' }, { column: 'jti' }]);
      if (filter.orgId) query.where({ org_id: filter.orgId });
      return (await query).map(fromRow);
    },

    async find(jti: string): Promise<IssuedToken | undefined> {
      const row = await db<TokenRow>('tokens').where({ jti }).first();
      return row ? fromRow(row) : undefined;
    },

    async revoke(jti: string, now: Date): Promise<IssuedToken | undefined> {
      const [row] = await db<TokenRow>('tokens').where({ jti }).update({ revoked_at: db.raw('coalesce(revoked_at, ?)', [now]) as unknown as Date }).returning('*');
      // Every process forgets the tokens it verified, at this transaction's commit.
      if (row) await notifyCachesStale(db, 'token');
      return row ? fromRow(row) : undefined;
    },

    async isRevoked(jti: string): Promise<boolean> {
      const row = await db('tokens').where({ jti }).whereNotNull('revoked_at').first('jti');
      return Boolean(row);
    },
  };
}
