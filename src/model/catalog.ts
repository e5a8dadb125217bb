import type { Organisation, SchoolForm } from './organisation.ts';

/**
 * The service catalog's rules as data (SPEC §3.2). The TypeScript below and the SQL of the
 * `formOnly` filter (store/filter-sources.ts, which binds these lists whole) both read them, so a
 * new school form is added here once.
 */

/** Who may change a group's membership, from the catalog's `granted_by`. */
export type GrantedBy = 'tenant' | 'form_rule' | 'declaration';

export const ADMIN_SERVICE = 'behorighetsadministrator';
export const FORM_RULE_SERVICE = 'studeranderapportering';

/**
 * SPEC §3.2: a school is form-only for Studeranderapportering when its form is gymnasieskola or
 * konst-och-kulturskola, or komvux/folkhögskola that does not report via file.
 */
export const FORM_ONLY_FORMS: readonly SchoolForm[] = ['gymnasieskola', 'konst-och-kulturskola'];
/** School forms that are form-only unless they report via file. */
export const FILE_OR_FORM_FORMS: readonly SchoolForm[] = ['komvux', 'folkhogskola'];

export function isFormOnlySchool(org: Pick<Organisation, 'type' | 'schoolForm' | 'reportsViaFile'>): boolean {
  if (org.type !== 'school' || !org.schoolForm) return false;
  if (FORM_ONLY_FORMS.includes(org.schoolForm)) return true;
  if (FILE_OR_FORM_FORMS.includes(org.schoolForm)) return !org.reportsViaFile;
  return false;
}

/** Whether, in this organisation, only an operator may change the group's membership (Group extension `formOnly`). */
export function isOperatorOnly(grantedBy: GrantedBy, org: Pick<Organisation, 'type' | 'schoolForm' | 'reportsViaFile'>): boolean {
  if (grantedBy === 'declaration') return true;
  if (grantedBy === 'form_rule') return isFormOnlySchool(org);
  return false;
}
