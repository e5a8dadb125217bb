// RFC 7644 §3.12: the scimType values a client may receive.
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  // RFC 9865 §4
  | 'invalidCursor'
  | 'expiredCursor'
  | 'invalidCount';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The one error type of the service; the HTTP edge turns it into an RFC 7644 §3.12 body. */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly headers: Record<string, string>;
  /** Names the domain rule that refused the request, for the audit trail and tests. */
  readonly rule: string | undefined;

  constructor(status: number, detail: string, scimType?: ScimType, options: { headers?: Record<string, string>; rule?: string } = {}) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.headers = options.headers ?? {};
    this.rule = options.rule;
  }

  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { schemas: [ERROR_SCHEMA], status: String(this.status) };
    if (this.scimType) body.scimType = this.scimType;
    body.detail = this.message;
    return body;
  }
}

export const badRequest = (detail: string, scimType?: ScimType) => new ScimError(400, detail, scimType);
export const notFound = (detail: string) => new ScimError(404, detail);
export const forbidden = (detail: string, rule?: string) => new ScimError(403, detail, undefined, { rule });
export const conflict = (detail: string) => new ScimError(409, detail, 'uniqueness');
export const unauthorized = (detail: string) =>
  new ScimError(401, detail, undefined, { headers: { 'WWW-Authenticate': 'Bearer realm="identity-manager"' } });
