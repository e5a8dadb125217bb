/** The placeholder an outbox body holds where the secret goes; the secret itself is stored apart. */
export const SECRET_PLACEHOLDER = '{{engangslosenord}}';

/** A letter or an e-mail to send (SPEC §3.8). */
export interface OutboxMessage {
  /** The organisation it concerns; null for a message about no organisation. */
  orgId: string | null;
  channel: 'email' | 'letter';
  /** An e-mail address, or for a letter the postal address. */
  recipient: string;
  subject: string;
  body: string;
  /** The request's clock (TenantRequest.now), so tests and audit agree on the time. */
  createdAt: Date;
  /** The user the message is about, when there is one. */
  userId?: string;
  /** A one-time password, stored apart from the body (which holds SECRET_PLACEHOLDER) and erased once delivered. */
  secret?: string;
}

/**
 * The placeholder for the web pages' address (IDM_PUBLIC_URL, else the address the server listens
 * on): the domain composes messages without knowing it, the delivery fills it in.
 */
export const SITE_PLACEHOLDER = '{{webbplats}}';

/** The body as it is delivered (or shown to an operator who delivers by hand): the secret, and the site's address when known, in their places. */
export function bodyWithSecret(body: string, secret: string | null | undefined, siteUrl?: string): string {
  const withSite = siteUrl ? body.replaceAll(SITE_PLACEHOLDER, siteUrl) : body;
  return secret ? withSite.replace(SECRET_PLACEHOLDER, secret) : withSite;
}
