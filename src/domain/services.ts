import type { Organisation } from './organisations.ts';

export type GrantedBy = 'tenant' | 'form_rule' | 'declaration';

export const ADMIN_SERVICE = 'behorighetsadministrator';
export const FORM_RULE_SERVICE = 'studeranderapportering';

/**
 * SPEC §3.2: a school is form-only for Studeranderapportering when its form is gymnasieskola or
 * konst-och-kulturskola, or komvux/folkhögskola that does not report via file.
 */
export const FORM_ONLY_FORMS = ['gymnasieskola', 'konst-och-kulturskola'] as const;
/** School forms that are form-only unless they report via file. */
export const FILE_OR_FORM_FORMS = ['komvux', 'folkhogskola'] as const;

export function isFormOnlySchool(org: Pick<Organisation, 'type' | 'schoolForm' | 'reportsViaFile'>): boolean {
  if (org.type !== 'school' || !org.schoolForm) return false;
  if ((FORM_ONLY_FORMS as readonly string[]).includes(org.schoolForm)) return true;
  if ((FILE_OR_FORM_FORMS as readonly string[]).includes(org.schoolForm)) return !org.reportsViaFile;
  return false;
}

/** Whether, in this organisation, only an operator may change the group's membership (Group extension `formOnly`). */
export function isOperatorOnly(grantedBy: GrantedBy, org: Pick<Organisation, 'type' | 'schoolForm' | 'reportsViaFile'>): boolean {
  if (grantedBy === 'declaration') return true;
  if (grantedBy === 'form_rule') return isFormOnlySchool(org);
  return false;
}
