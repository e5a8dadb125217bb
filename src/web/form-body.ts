import getRawBody from 'raw-body';
import type { WebContext } from './web-context.ts';
import { PageError } from './page-error.ts';

/** The pages' forms are small; a bigger body is not one of them. */
const FORM_LIMIT_BYTES = 64 * 1024;

/**
 * The fields of a posted form (application/x-www-form-urlencoded, as every form of the pages is
 * sent: none uploads a file). Read once, kept on the request, so the CSRF check and the handler see
 * the same fields.
 */
export async function readForm(ctx: WebContext): Promise<URLSearchParams> {
  const cached = (ctx.request as { form?: URLSearchParams }).form;
  if (cached) return cached;
  const type = (ctx.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  let form = new URLSearchParams();
  if (type === 'application/x-www-form-urlencoded') {
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: FORM_LIMIT_BYTES, encoding: 'utf8' });
    } catch {
      throw new PageError(413, 'Formuläret är för stort för att skickas.');
    }
    form = new URLSearchParams(text);
  } else if (type !== '') {
    throw new PageError(415, 'Formuläret skickades i ett format som sidorna inte tar emot.');
  }
  (ctx.request as { form?: URLSearchParams }).form = form;
  return form;
}

/** A field's value, trimmed, bounded, with no NUL (PostgreSQL stores none). */
export function field(form: URLSearchParams, name: string, max = 256): string {
  const value = (form.get(name) ?? '').replace(/\0/g, '').trim();
  return value.slice(0, max);
}

/** A secret field as typed: passwords are never trimmed. */
export function secretField(form: URLSearchParams, name: string): string {
  return (form.get(name) ?? '').slice(0, 1024);
}
