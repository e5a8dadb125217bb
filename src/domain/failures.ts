import { ScimError } from '../scim/scim-error.ts';
import { Outcome } from '../model/outcomes.ts';
import { outcomeFromDatabase } from '../store/database-errors.ts';

/** A refusal of the client's request: the domain's typed outcome, or a SCIM parser's error. */
export type ClientFailure = Outcome | ScimError;

export function isClientFailure(err: unknown): err is ClientFailure {
  return err instanceof Outcome || err instanceof ScimError;
}

/**
 * The failure a client caused, as the domain answers it: a typed outcome (the domain's own, or a
 * database error the request caused), or the ScimError a SCIM parser refused the request with.
 * Undefined for anything else, which is not the client's doing (a server error).
 */
export function clientFailureOf(err: unknown): ClientFailure | undefined {
  if (isClientFailure(err)) return err;
  return outcomeFromDatabase(err);
}

/** Turns a failure into what a client sees; the edge gives its one mapping (http/outcome-errors.ts). */
export type DescribeFailure = (err: unknown) => ScimError;
