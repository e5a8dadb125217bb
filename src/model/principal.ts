/** The roles a token carries (SPEC §6.1). */
export const ROLES = ['admin', 'provisioner', 'operator', 'receiver'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * A signed-in person's session carries `admin` when the user is a member of the organisation's
 * behorighetsadministrator group, else `user`, which reaches only /auth and /scim/v2/Me.
 */
export type PrincipalRole = Role | 'user';

/** Who is calling, as established from a verified token. */
export interface Principal {
  role: PrincipalRole;
  subject: string;
  /** The organisation the token names; absent only for an operator token without one. */
  orgId: string | undefined;
  jti: string;
  expiresAt: number;
  /** For role `receiver`: the change-event receiver the token is bound to (SPEC §6.6). */
  receiverId?: string;
  /** Set when the bearer is a session token of a signed-in user (SPEC §6.2). */
  session?: { id: string; userId: string; passwordChangeOnly: boolean };
}

/**
 * SPEC §6.1: every token but an operator's names an organisation. The one statement of the rule,
 * read when a token is issued and again when one is verified.
 */
export function needsOrganisation(role: Role): boolean {
  return role !== 'operator' && role !== 'receiver';
}

/** SPEC §2: a `receiver` token names its receiver and no organisation; no other token names a receiver. */
export function namesReceiver(role: Role): boolean {
  return role === 'receiver';
}
