import crypto from 'node:crypto';
import type { Knex } from 'knex';

export interface SessionRow {
  org_id: string;
  id: string;
  user_id: string;
  token_hash: string;
  password_change_only: boolean;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ended_at: Date | null;
}

/**
 * Sessions are found by the hash of their token — the one lookup that cannot know the
 * organisation in advance; every other statement is scoped to the session's organisation.
 */
export function sessionsStore(db: Knex) {
  return {
    async open(orgId: string, userId: string, tokenHash: string, passwordChangeOnly: boolean, now: Date, absoluteMs: number): Promise<SessionRow> {
      const [row] = await db('sessions')
        .insert({
          org_id: orgId,
          id: crypto.randomUUID(),
          user_id: userId,
          token_hash: tokenHash,
          password_change_only: passwordChangeOnly,
          created_at: now,
          last_seen_at: now,
          expires_at: new Date(now.getTime() + absoluteMs),
        })
        .returning('*');
      return row as SessionRow;
    },

    async byTokenHash(tokenHash: string): Promise<SessionRow | undefined> {
      return db<SessionRow>('sessions').where({ token_hash: tokenHash }).whereNull('ended_at').first();
    },

    async touch(session: SessionRow, now: Date): Promise<void> {
      await db('sessions').where({ org_id: session.org_id, id: session.id }).update({ last_seen_at: now });
    },

    async end(session: Pick<SessionRow, 'org_id' | 'id'>, now: Date): Promise<void> {
      await db('sessions').where({ org_id: session.org_id, id: session.id }).whereNull('ended_at').update({ ended_at: now });
    },

    /** Ends every open session of a user; an ended session never comes back (SPEC §6.2). */
    async endAllOf(orgId: string, userId: string, now: Date): Promise<void> {
      await db('sessions').where({ org_id: orgId, user_id: userId }).whereNull('ended_at').update({ ended_at: now });
    },

    /** Ends every open session in an organisation, when it is deactivated. */
    async endAllIn(orgId: string, now: Date): Promise<void> {
      await db('sessions').where({ org_id: orgId }).whereNull('ended_at').update({ ended_at: now });
    },
  };
}
