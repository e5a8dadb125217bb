/** The audit trail as it is read (SPEC §3.7, §6.3): filters, keyset positions, events, pages. */

/** Exact-match and time-window conditions; all optional, combined with AND. */
export interface AuditFilter {
  /** Inclusive lower bound: an ISO 8601 date-time with offset, already validated. */
  from?: string;
  /** Exclusive upper bound, as `from`. */
  to?: string;
  resourceType?: string;
  resourceId?: string;
  /** The actor's token subject. */
  actor?: string;
  action?: string;
}

/** Where the previous page ended: the last event's time (UTC, microseconds, as text) and id. */
export interface AuditPosition {
  at: string;
  id: string;
}

export interface AuditRecord {
  id: string;
  org_id: string | null;
  at: Date;
  actor_subject: string;
  actor_role: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  request_id: string | null;
  changes: unknown;
  /** `at` at full precision, for the next page's keyset. */
  at_key: string;
}

export interface AuditPage {
  events: AuditRecord[];
  /** The position after the last event when more follow. */
  next: AuditPosition | undefined;
}
