/**
 * A Swedish organisationsnummer: ten digits, optionally with a hyphen after the sixth, whose last
 * digit is the Luhn check digit of the first nine. Returns the canonical NNNNNN-NNNN form, or
 * undefined when the text is not a valid number.
 */
export function normaliseOrganisationNumber(text: string): string | undefined {
  const match = /^(\d{6})-?(\d{4})$/.exec(text.trim());
  if (!match) return undefined;
  const digits = match[1] + match[2];
  return luhnValid(digits) ? `${match[1]}-${match[2]}` : undefined;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
