import { Conflict, Invalid } from '../model/outcomes.ts';

/**
 * The database errors a client can cause, as typed outcomes: a unique violation (23505) is a
 * Conflict of uniqueness, a value PostgreSQL cannot store or compare (SQLSTATE class 22, data
 * exception) is Invalid, a deadlock or serialization failure that outlived the retries is a
 * concurrent Conflict. The one place SQLSTATEs are read, so single requests, Bulk and import
 * answer alike. Anything else is not the client's doing and stays a server error (undefined).
 */
export function outcomeFromDatabase(err: unknown): Conflict | Invalid | undefined {
  const e = err as { code?: unknown; constraint?: string };
  if (isTransient(err)) {
    return new Conflict('a concurrent request changed the same resources and this one was rolled back; nothing of it was stored, so it can be sent again', 'concurrent');
  }
  if (e?.code === '23505') return new Conflict(describeUniqueViolation(e.constraint), 'uniqueness');
  if (typeof e?.code === 'string' && e.code.startsWith('22')) return new Invalid(describeDataException(e.code), 'invalidValue');
  return undefined;
}

/**
 * Our own words for a data exception: PostgreSQL's message and SQLSTATE name columns, types and
 * internals, and none of that reaches a client. The request's own checks (list-params.ts, the
 * resource validator, filters) refuse what they can foresee by name first; this is the net under them.
 */
function describeDataException(code: string): string {
  switch (code) {
    case '22003': // numeric_value_out_of_range
      return 'a number in the request is out of range';
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
      return 'a date or time in the request is not valid';
    case '22001': // string_data_right_truncation
      return 'a value in the request is too long';
    case '22021': // character_not_in_repertoire
    case '22P05': // untranslatable_character (U+0000)
      return 'a value in the request holds a character that cannot be stored';
    default:
      return 'a value in the request cannot be stored or compared';
  }
}

function describeUniqueViolation(constraint: string | undefined): string {
  if (constraint?.includes('organisation_number')) return 'an organisation with that organisationNumber already exists';
  if (constraint?.includes('external_id')) return 'a resource with that externalId already exists in this organisation';
  if (constraint?.includes('user_names')) return 'userName is already taken';
  return 'the value is already taken';
}

/**
 * SQLSTATE 40P01 deadlock_detected and 40001 serialization_failure: PostgreSQL rolled the
 * statement's transaction (or savepoint) back, nothing of it was written, and it may succeed if
 * run again.
 */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}
