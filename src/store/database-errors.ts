import { ScimError } from '../scim/scim-error.ts';

/**
 * The database errors a client can cause, as the errors the client sees: a unique violation
 * (23505) is 409 uniqueness (RFC 7644 §3.12). One place, used by the error middleware and by
 * Bulk, so both answer alike. Anything else is not the client's doing and stays a server error.
 */
export function scimErrorFromDatabase(err: unknown): ScimError | undefined {
  const e = err as { code?: string; constraint?: string };
  if (e?.code !== '23505') return undefined;
  return new ScimError(409, describeUniqueViolation(e.constraint), 'uniqueness');
}

function describeUniqueViolation(constraint: string | undefined): string {
  if (constraint?.includes('organisation_number')) return 'an organisation with that organisationNumber already exists';
  if (constraint?.includes('external_id')) return 'a resource with that externalId already exists in this organisation';
  if (constraint?.includes('user_names')) return 'userName is already taken';
  return 'the value is already taken';
}
