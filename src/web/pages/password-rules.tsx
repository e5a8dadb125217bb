import { PASSWORD_MAX, PASSWORD_MIN, PASSWORD_RULES } from '../../domain/password-policy.ts';

/**
 * The password policy as the page lists it (SPEC §3.4), from the domain's own list; the script
 * ticks each rule as it is met, reading the pattern and length from these attributes.
 */
export function PasswordRules({ id }: { id: string }) {
  return (
    <div class="rules">
      <p id={`${id}-rubrik`}>Lösenordet ska ha:</p>
      <ul id={id} aria-labelledby={`${id}-rubrik`} data-password-rules="true" data-min={String(PASSWORD_MIN)} data-max={String(PASSWORD_MAX)}>
        {PASSWORD_RULES.map((rule) => (
          <li data-rule={rule.id} data-pattern={rule.pattern}>{rule.label}</li>
        ))}
      </ul>
    </div>
  );
}
