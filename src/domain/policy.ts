import type { Principal } from '../model/principal.ts';
import { Refusal } from '../model/outcomes.ts';
import type { Organisation } from '../model/organisation.ts';
import { isFormOnlySchool, type GrantedBy } from '../model/catalog.ts';

/**
 * Every rule of SPEC §4 is decided here and nowhere else: SCIM single requests, Bulk and the
 * operator API all ask this module before they write. A refusal names its rule, and its detail is
 * written (in Swedish) for a school administrator: what to do instead.
 */
export type Decision = { allowed: true } | { allowed: false; rule: string; detail: string };

const ALLOW: Decision = { allowed: true };

export const RULES = {
  deleteUser: 'users-are-ended-by-csn',
  formOnlyService: 'form-only-service',
  adminGroup: 'admin-group-needs-declaration',
  catalogOwnsGroups: 'catalog-owns-groups',
  adminPassword: 'admins-do-not-set-passwords',
  adminsOwnPassword: 'admin-passwords-by-operator-only',
} as const;

export function mayDeleteUser(principal: Principal): Decision {
  if (principal.role === 'operator') return ALLOW;
  return {
    allowed: false,
    rule: RULES.deleteUser,
    detail:
      'Användare kan inte tas bort här. Inaktivera användaren (active = false) så skickas en begäran om avslut till CSN, ' +
      'eller kontakta CSN:s behörighetsadministration för att avsluta användaren.',
  };
}

export interface GroupForPolicy {
  grantedBy: GrantedBy;
  displayName: string;
}

/**
 * Adding or removing a member of a service group. `viaAdminApi` is true only for the operator
 * API's administrator grant, which carries a declaration (SPEC §3.5); that API is open to
 * operators alone, and the rule says so itself rather than rely on the route's guard.
 */
export function mayChangeMembership(principal: Principal, group: GroupForPolicy, org: Organisation, viaAdminApi = false): Decision {
  if (group.grantedBy === 'declaration' && !(viaAdminApi && principal.role === 'operator')) {
    return {
      allowed: false,
      rule: RULES.adminGroup,
      detail:
        `Gruppen ${group.displayName} kan bara ändras av CSN efter en undertecknad försäkran. ` +
        'Skicka försäkran till CSN så registrerar CSN behörighetsadministratören.',
    };
  }
  if (principal.role === 'operator') return ALLOW;
  if (group.grantedBy === 'form_rule' && isFormOnlySchool(org)) {
    return {
      allowed: false,
      rule: RULES.formOnlyService,
      detail:
        `Behörighet till ${group.displayName} ges på blankett för er skolform: skolan anmäler behörigheten till CSN på en blankett ` +
        'och CSN lägger till den. Kontakta er kontaktperson på CSN.',
    };
  }
  return ALLOW;
}

export function mayChangeCatalogGroup(): Decision {
  return {
    allowed: false,
    rule: RULES.catalogOwnsGroups,
    detail: 'Grupperna motsvarar e-tjänsterna och skapas, byter namn och tas bort bara av CSN:s tjänstekatalog.',
  };
}

/**
 * A SCIM `password` write (SPEC §3.4). An admin sets no one's password. The password of an admin
 * (a member of behorighetsadministrator) is written only by an operator, or by the admin through
 * /auth: a provisioner that could set it could sign in as the admin and reach what its own token
 * may not.
 */
export function mayWritePassword(principal: Principal, target: { isAdmin: boolean }): Decision {
  if (principal.role === 'operator') return ALLOW;
  if (principal.role === 'admin') {
    return {
      allowed: false,
      rule: RULES.adminPassword,
      detail: 'En behörighetsadministratör sätter inte andras lösenord. Beställ ett engångslösenord till användaren i stället.',
    };
  }
  if (!target.isAdmin) return ALLOW;
  return {
    allowed: false,
    rule: RULES.adminsOwnPassword,
    detail:
      'Lösenordet för en behörighetsadministratör kan inte sättas här. Administratören byter det själv ' +
      '(Ändra eller beställ nytt lösenord), eller så gör CSN det.',
  };
}

/** The refusal a decision carries, to throw; undefined when the decision allows. */
export function refused(decision: Decision): Refusal | undefined {
  return decision.allowed ? undefined : new Refusal(decision.rule, decision.detail);
}
