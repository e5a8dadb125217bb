import type { UserStatus } from '../../domain/user-administration.ts';

/** How the pages name a user's status and credential status, in the handbook's words. */
export const STATUS_TEXT: Record<UserStatus, string> = {
  'aktiv': 'Aktiv',
  'avslut-begart': 'Avslut begärt',
  'inaktiv': 'Inaktiv',
};

export const CREDENTIAL_TEXT: Record<string, string> = {
  none: 'Inga inloggningsuppgifter',
  pending: 'Engångslösenord skickat',
  active: 'Har eget lösenord',
  locked: 'Låst',
};

const dateTime = new Intl.DateTimeFormat('sv-SE', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Stockholm' });
export const formatTime = (at: Date): string => dateTime.format(at);

export function nameOf(data: Record<string, unknown>): { givenName: string; familyName: string } {
  const name = (typeof data.name === 'object' && data.name !== null ? data.name : {}) as Record<string, unknown>;
  return {
    givenName: typeof name.givenName === 'string' ? name.givenName : '',
    familyName: typeof name.familyName === 'string' ? name.familyName : '',
  };
}
