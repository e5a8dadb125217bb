/** A downstream system registered for change events (SPEC §6.6). */
export interface Receiver {
  id: string;
  name: string;
  /** The SET `aud` claim (RFC 8417 §2.2). */
  audience: string;
  /** Push delivery (RFC 8935) to this URL; null: the receiver polls (RFC 8936). */
  endpointUrl: string | null;
  /** Organisations whose changes it gets; null: every organisation. */
  orgIds: string[] | null;
  /** Event families it gets (EVENT_TYPES); null: all of them. */
  eventTypes: EventType[] | null;
  /** RFC 9967 §2.4: `notice` (attribute names) or `full` (the data). */
  payload: 'notice' | 'full';
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What an operator sets of a receiver. */
export type ReceiverFields = Omit<Receiver, 'id' | 'createdAt' | 'updatedAt'>;

/** Where a receiver stands in its stream, as operators see it (`idm receivers list`). */
export interface ReceiverStatus extends Receiver {
  backlog: number;
  deliveredCount: number;
  lastDeliveredAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  nextAttemptAt: Date | null;
  parkedCount: number;
}

/** RFC 9967 §2.4 provisioning event families, by the last part of their URI before notice/full. */
export const EVENT_TYPES = ['create', 'patch', 'delete', 'activate', 'deactivate'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * The audit actions that are changes receivers hear of (SPEC §6.6). The same list is in the
 * migration that orders them (20261214000001_change_events.ts); a migration never imports src/.
 */
export const CHANGE_ACTIONS = ['user.create', 'user.update', 'user.delete', 'user.purge', 'group.members', 'credentials.issue', 'credentials.status'] as const;

/** One change from the log: an audit row with its place in the delivery order. */
export interface ChangeEntry {
  /** The audit event's id; with the receiver's id it makes the SET's jti. */
  id: string;
  order: string;
  txn: string;
  orgId: string;
  at: Date;
  action: string;
  resourceType: string;
  resourceId: string;
  changes: Record<string, { before?: unknown; after?: unknown; changed?: true }> | null;
}

/** A position in the change log: every entry at or before it has been dealt with. */
export interface LogPosition {
  order: string;
  id: string;
}
