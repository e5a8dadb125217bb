import type { Organisation } from '../model/organisation.ts';
import { SECRET_PLACEHOLDER, SITE_PLACEHOLDER, type OutboxMessage } from '../model/outbox-message.ts';

/** A message as the domain composes it; the outbox adds when it was queued. */
export type OutgoingMessage = Omit<OutboxMessage, 'createdAt'> & { orgId: string; userId: string };

/** SPEC §3.4: the letter with the username, to the organisation's postal address. */
export function usernameLetter(org: Organisation, userId: string, userName: string, displayName: string): OutgoingMessage {
  return {
    orgId: org.id,
    userId,
    channel: 'letter',
    recipient: org.postalAddress ?? `${org.name} (postadress saknas)`,
    subject: 'Användarnamn till Mina tjänster',
    body:
      `Till ${displayName}, ${org.name}\r\n\r\n` +
      `Du har fått behörighet till CSN:s e-tjänster i Mina tjänster.\r\n` +
      `Ditt användarnamn är: ${userName}\r\n\r\n` +
      'Ett engångslösenord skickas till din e-postadress. Med det loggar du in och väljer ett eget lösenord.\r\n',
  };
}

/** SPEC §3.4: the e-mail with a one-time password, valid 72 hours. */
export function oneTimePasswordEmail(org: Organisation, userId: string, email: string, secret: string, validUntil: Date): OutgoingMessage {
  return {
    orgId: org.id,
    userId,
    channel: 'email',
    recipient: email,
    subject: 'Engångslösenord till Mina tjänster',
    body:
      `Hej!\r\n\r\nDitt engångslösenord till Mina tjänster (${org.name}) är: ${SECRET_PLACEHOLDER}\r\n\r\n` +
      `Det gäller till ${validUntil.toISOString().slice(0, 16).replace('T', ' ')} UTC och kan bara användas en gång, ` +
      'för att välja ett eget lösenord.\r\n\r\n' +
      `Välj ditt lösenord här: ${SITE_PLACEHOLDER}/byt-engangslosenord\r\n\r\n` +
      'Har du inte bett om det kan du bortse från meddelandet.\r\n',
    secret,
  };
}

/**
 * SPEC §6.2: a locked account is told to the user by e-mail, never to whoever typed the wrong
 * passwords (they hear what every failed sign-in hears).
 */
export function lockoutEmail(org: Organisation, userId: string, email: string, failures: number, lockedUntil: Date): OutgoingMessage {
  return {
    orgId: org.id,
    userId,
    channel: 'email',
    recipient: email,
    subject: 'Ditt konto i Mina tjänster är låst',
    body:
      `Hej!\r\n\r\nNågon har försökt logga in på ditt konto i Mina tjänster (${org.name}) med fel lösenord ${failures} gånger i rad. ` +
      `Kontot är därför låst till ${lockedUntil.toISOString().slice(0, 16).replace('T', ' ')} UTC.\r\n\r\n` +
      'Var det du kan du logga in igen när tiden har gått. Var det inte du, kontakta din behörighetsadministratör.\r\n',
  };
}

export function displayNameOf(userName: string, data: Record<string, unknown>): string {
  const name = data.name as { givenName?: string; familyName?: string; formatted?: string } | undefined;
  const full = name?.formatted ?? [name?.givenName, name?.familyName].filter(Boolean).join(' ');
  return full || (typeof data.displayName === 'string' ? data.displayName : userName);
}
