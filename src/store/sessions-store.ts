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

/** The sessions of one organisation; every statement carries `org_id = ?`. */
export function sessionsStore(db: Knex, orgId: string) {
  return {
    async open(userId: string, tokenHash: string, passwordChangeOnly: boolean, now: Date, absoluteMs: number): Promise<SessionRow> {
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

    async touch(sessionId: string, now: Date): Promise<void> {
      await db('sessions').where({ org_id: orgId, id: sessionId }).update({ last_seen_at: now });
    },

    async end(sessionId: string, now: Date): Promise<void> {
      await db('sessions').where({ org_id: orgId, id: sessionId }).whereNull('ended_at').update({ ended_at: now });
    },

    /** Ends every open session of a user; an ended session never comes back (SPEC §6.2). */
    async endAllOf(userId: string, now: Date): Promise<void> {
      await db('sessions').where({ org_id: orgId, user_id: userId }).whereNull('ended_at').update({ ended_at: now });
    },

    /** Ends every open session in the organisation, when it is deactivated. */
    async endAll(now: Date): Promise<void> {
      await db('sessions').where({ org_id: orgId }).whereNull('ended_at').update({ ended_at: now });
    },
  };
}

export type SessionsStore = ReturnType<typeof sessionsStore>;

/**
 * Sessions found by the hash of their token: the one lookup that cannot know the organisation in
 * advance; everything after goes through the session's organisation.
 */
export function sessionDirectory(db: Knex) {
  return {
    async byTokenHash(tokenHash: string): Promise<SessionRow | undefined> {
      return db<SessionRow>('sessions').where({ token_hash: tokenHash }).whereNull('ended_at').first();
    },
  };
}
