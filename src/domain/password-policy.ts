/**
 * SPEC §3.4: the one password policy, applied wherever a password is set (SCIM `password` by a
 * provisioner or operator, /auth/password, the web pages). Every rule broken is named, in Swedish,
 * so the person can fix all of them at once. The web pages list the same rules and check them as
 * the person types from the patterns given here, so there is no second copy in the browser.
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export interface PasswordRule {
  /** Stable name, for the page's live check. */
  id: 'min-length' | 'max-length' | 'upper' | 'lower' | 'digit' | 'not-username';
  /** The rule as the page lists it. */
  label: string;
  /** What the refusal says is needed. */
  problem: string;
  /** A Unicode-aware pattern the password must contain (tested with flag `u`), where the rule is one. */
  pattern?: string;
}

export const PASSWORD_RULES: readonly PasswordRule[] = [
  { id: 'min-length', label: `Minst ${PASSWORD_MIN} tecken`, problem: `minst ${PASSWORD_MIN} tecken` },
  { id: 'max-length', label: `Högst ${PASSWORD_MAX} tecken`, problem: `högst ${PASSWORD_MAX} tecken` },
  { id: 'upper', label: 'Minst en stor bokstav (A–Z)', problem: 'minst en versal (stor bokstav)', pattern: '\\p{Lu}' },
  { id: 'lower', label: 'Minst en liten bokstav (a–z)', problem: 'minst en gemen (liten bokstav)', pattern: '\\p{Ll}' },
  { id: 'digit', label: 'Minst en siffra (0–9)', problem: 'minst en siffra', pattern: '\\p{Nd}' },
  { id: 'not-username', label: 'Får inte innehålla användarnamnet', problem: 'får inte innehålla användarnamnet' },
];

function breaks(rule: PasswordRule, password: string, userName: string): boolean {
  const length = [...password].length;
  switch (rule.id) {
    case 'min-length':
      return length < PASSWORD_MIN;
    case 'max-length':
      return length > PASSWORD_MAX;
    case 'not-username':
      return userName !== '' && password.toLocaleLowerCase('sv').includes(userName.toLocaleLowerCase('sv'));
    default:
      return !new RegExp(rule.pattern!, 'u').test(password);
  }
}

export function passwordProblems(password: string, userName: string): string[] {
  return PASSWORD_RULES.filter((rule) => breaks(rule, password, userName)).map((rule) => rule.problem);
}

export function describePasswordProblems(problems: string[]): string {
  return `Lösenordet uppfyller inte reglerna. Det behöver: ${problems.join('; ')}.`;
}
