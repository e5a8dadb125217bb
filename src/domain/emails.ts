interface EmailValue {
  value?: unknown;
  type?: unknown;
  primary?: unknown;
}

/**
 * The address a user is written to (SPEC §3.4, §6.3): the work address, else the primary one,
 * else the first. `type` is compared case-insensitively, as clients differ in how they send it.
 */
export function preferredEmail(emails: unknown): string | undefined {
  if (!Array.isArray(emails)) return undefined;
  const candidates = emails.filter((e): e is EmailValue & { value: string } =>
    typeof e === 'object' && e !== null && typeof (e as EmailValue).value === 'string' && (e as EmailValue).value !== '');
  const chosen = candidates.find((e) => typeof e.type === 'string' && e.type.toLowerCase() === 'work')
    ?? candidates.find((e) => e.primary === true)
    ?? candidates[0];
  return chosen?.value;
}
