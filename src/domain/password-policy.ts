/**
 * SPEC §3.4: the one password policy, applied wherever a password is set (SCIM `password` by a
 * provisioner or operator, /auth/password). Every rule broken is named, in Swedish, so the person
 * can fix all of them at once.
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export function passwordProblems(password: string, userName: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN) problems.push(`minst ${PASSWORD_MIN} tecken`);
  if (length > PASSWORD_MAX) problems.push(`högst ${PASSWORD_MAX} tecken`);
  if (!/\p{Lu}/u.test(password)) problems.push('minst en versal (stor bokstav)');
  if (!/\p{Ll}/u.test(password)) problems.push('minst en gemen (liten bokstav)');
  if (!/\p{Nd}/u.test(password)) problems.push('minst en siffra');
  if (userName && password.toLocaleLowerCase('sv').includes(userName.toLocaleLowerCase('sv'))) problems.push('får inte innehålla användarnamnet');
  return problems;
}

export function describePasswordProblems(problems: string[]): string {
  return `Lösenordet uppfyller inte reglerna. Det behöver: ${problems.join('; ')}.`;
}
