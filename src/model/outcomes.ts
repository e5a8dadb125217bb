/**
 * What the domain answers when a request cannot be carried out, as types rather than status
 * numbers. The HTTP edge turns each into a SCIM error in one place (http/outcome-errors.ts); the
 * coming web pages will turn them into a page.
 */
export abstract class Outcome extends Error {
  abstract readonly kind: 'invalid' | 'not-found' | 'conflict' | 'refusal' | 'precondition-failed' | 'unauthenticated' | 'not-allowed';
}

/**
 * Why a value is not accepted, in the words of RFC 7644 §3.12 (a client reads them as scimType):
 * a bad value, a malformed body, an attribute that cannot change, a value already taken.
 */
export type InvalidReason = 'invalidValue' | 'invalidSyntax' | 'mutability' | 'uniqueness';

/** The request's content is not acceptable. */
export class Invalid extends Outcome {
  readonly kind = 'invalid';
  constructor(detail: string, readonly reason?: InvalidReason) {
    super(detail);
    this.name = 'Invalid';
  }
}

/** What the request names does not exist (or, across tenants, is reported as if it did not). */
export class NotFound extends Outcome {
  readonly kind = 'not-found';
  constructor(detail: string) {
    super(detail);
    this.name = 'NotFound';
  }
}

/**
 * The request clashes with the state of what it writes: a value already taken (`uniqueness`), a
 * reference to an operation that failed (`reference`), a concurrent request that won
 * (`concurrent`), or a state that no longer allows it (no reason).
 */
export class Conflict extends Outcome {
  readonly kind = 'conflict';
  constructor(detail: string, readonly reason?: 'uniqueness' | 'reference' | 'concurrent') {
    super(detail);
    this.name = 'Conflict';
  }
}

/** A rule of SPEC §4 refuses the request; `rule` names it, `detail` says what to do instead. */
export class Refusal extends Outcome {
  readonly kind = 'refusal';
  constructor(readonly rule: string, detail: string) {
    super(detail);
    this.name = 'Refusal';
  }
}

/** The resource changed since the version the client names (If-Match). */
export class PreconditionFailed extends Outcome {
  readonly kind = 'precondition-failed';
  constructor(detail: string) {
    super(detail);
    this.name = 'PreconditionFailed';
  }
}

/** Whoever asks could not be established: a failed sign-in, a token whose organisation is gone. */
export class Unauthenticated extends Outcome {
  readonly kind = 'unauthenticated';
  constructor(detail: string) {
    super(detail);
    this.name = 'Unauthenticated';
  }
}

/** The operation does not exist for what it is addressed to (a Bulk POST with an id). */
export class NotAllowed extends Outcome {
  readonly kind = 'not-allowed';
  constructor(detail: string) {
    super(detail);
    this.name = 'NotAllowed';
  }
}

export const invalid = (detail: string, reason?: InvalidReason) => new Invalid(detail, reason);
export const notFound = (detail: string) => new NotFound(detail);
