import type { GrantedBy } from './catalog.ts';

/** One of an organisation's groups: one per service the catalog offers to it (SPEC §3.2). */
export interface Group {
  orgId: string;
  id: string;
  serviceCode: string;
  displayName: string;
  version: number;
  created: Date;
  modified: Date;
  /** From the service catalog: who may change the membership. */
  grantedBy: GrantedBy;
  description: string;
}
