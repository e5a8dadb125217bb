import { ScimError, unauthorized, type ScimType } from '../scim/scim-error.ts';
import { Conflict, Invalid, NotAllowed, NotFound, PreconditionFailed, Refusal, Unauthenticated, type Outcome } from '../model/outcomes.ts';
import { clientFailureOf } from '../domain/failures.ts';

const CONFLICT_TYPE: Record<NonNullable<Conflict['reason']>, ScimType | undefined> = { uniqueness: 'uniqueness', reference: 'invalidValue', concurrent: undefined };

/** The one mapping of the domain's typed outcomes to SCIM errors (RFC 7644 §3.12). */
export function scimErrorOfOutcome(outcome: Outcome): ScimError {
  if (outcome instanceof Invalid) return new ScimError(400, outcome.message, outcome.reason);
  if (outcome instanceof NotFound) return new ScimError(404, outcome.message);
  if (outcome instanceof Conflict) return new ScimError(409, outcome.message, outcome.reason && CONFLICT_TYPE[outcome.reason]);
  if (outcome instanceof Refusal) return new ScimError(403, outcome.message, undefined, { rule: outcome.rule });
  if (outcome instanceof PreconditionFailed) return new ScimError(412, outcome.message);
  if (outcome instanceof Unauthenticated) return unauthorized(outcome.message);
  if (outcome instanceof NotAllowed) return new ScimError(405, outcome.message);
  throw new Error(`no SCIM error for outcome ${outcome.kind}`);
}

/**
 * What a client sees of an error: a ScimError as it is, a typed outcome (or a database error the
 * request caused) mapped once here; undefined when the error is not the client's doing.
 */
export function scimErrorOf(err: unknown): ScimError | undefined {
  const failure = clientFailureOf(err);
  if (failure === undefined || failure instanceof ScimError) return failure;
  return scimErrorOfOutcome(failure);
}
