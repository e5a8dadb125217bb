import { ScimError } from '../scim/scim-error.ts';
import { clientFailureOf } from '../domain/failures.ts';
import type { Outcome } from '../model/outcomes.ts';
import { PageError } from './page-error.ts';

const STATUS: Record<Outcome['kind'], number> = {
  'invalid': 400,
  'not-found': 404,
  'conflict': 409,
  'refusal': 403,
  'precondition-failed': 412,
  'unauthenticated': 401,
  'not-allowed': 405,
};

export interface PageFailure {
  status: number;
  /** The domain's own words: Swedish for every rule a school administrator meets. */
  message: string;
  headers: Record<string, string>;
}

/**
 * The pages' one mapping of what the domain refused to a status and the words to show; undefined
 * for anything that is not the person's doing (a server error).
 */
export function pageFailureOf(err: unknown): PageFailure | undefined {
  if (err instanceof PageError) return { status: err.status, message: err.message, headers: err.headers };
  const failure = clientFailureOf(err);
  if (failure === undefined) return undefined;
  if (failure instanceof ScimError) return { status: failure.status, message: failure.message, headers: failure.headers };
  return { status: STATUS[failure.kind], message: failure.message, headers: {} };
}
