/**
 * A user of one organisation as the domain sees it (SPEC §3.3): what a client wrote (userName,
 * externalId, active and the other attributes in `data`), and what the server keeps (credential
 * status, version, times). The store maps its rows to this; scim/ renders from it.
 */
export interface User {
  orgId: string;
  id: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  /** Every other attribute a client wrote, as canonical SCIM JSON (RFC 7643 §4.1, the enterprise extension). */
  data: Record<string, unknown>;
  credentialStatus: string;
  version: number;
  created: Date;
  modified: Date;
}

/** A user's membership of one of the organisation's groups: the User `groups` attribute and `services`. */
export interface Membership {
  userId: string;
  groupId: string;
  displayName: string;
  serviceCode: string;
}
