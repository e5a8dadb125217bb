import type { Organisation } from './organisations.ts';

export type GrantedBy = 'tenant' | 'form_rule' | 'declaration';

export const ADMIN_SERVICE = 'behorighetsadministrator';
export const FORM_RULE_SERVICE = 'studeranderapportering';

/**
 * SPEC §3.2: a school is form-only for Studeranderapportering when its form is gymnasieskola or
 * konst-och-kulturskola, or komvux/folkhögskola that does not report via file.
 */
export function isFormOnlySchool(org: Pick<Organisation, 'type' | 'schoolForm' | 'reportsViaFile'>): boolean {
  if (org.type !== 'school') return false;
  if (org.schoolForm === 'gymnasieskola' || org.schoolForm === 'konst-och-kulturskola') return true;
  if (org.schoolForm === 'komvux' || org.schoolForm === 'folkhogskola') return !org.reportsViaFile;
  return false;
}

/** Whether, in this organisation, only an operator may change the group's membership (Group extension `formOnly`). */
export function isOperatorOnly(grantedBy: GrantedBy, org: Pick<Organisation, 'type' | 'schoolForm' | 'reportsViaFile'>): boolean {
  if (grantedBy === 'declaration') return true;
  if (grantedBy === 'form_rule') return isFormOnlySchool(org);
  return false;
}
