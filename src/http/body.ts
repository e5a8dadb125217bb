import getRawBody from 'raw-body';
import type { AppContext } from './context.ts';
import { ScimError, badRequest } from '../scim/scim-error.ts';
import { MAX_JSON_DEPTH, scanJsonText } from './json-text.ts';

const JSON_TYPES = ['application/scim+json', 'application/json'];

/**
 * Reads and parses a JSON request body. RFC 7644 §3.1: clients send application/scim+json, and
 * application/json is accepted as well; anything else is 415. The size limit is enforced while
 * reading, so an oversized body is refused without being buffered whole. The nesting depth is
 * checked on the text before parsing (SPEC §5.4), so no deep structure is ever built or walked.
 */
export async function readJson(ctx: AppContext, limitBytes: number): Promise<unknown> {
  const type = (ctx.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  if (!JSON_TYPES.includes(type)) {
    throw new ScimError(415, `Content-Type must be application/scim+json or application/json, got "${type || 'none'}"`);
  }
  const declared = Number(ctx.get('Content-Length') || '0');
  if (declared > limitBytes) throw tooLarge(limitBytes);
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw tooLarge(limitBytes);
    if (type === 'encoding.unsupported') throw new ScimError(415, 'the body must be UTF-8');
    throw badRequest('the request body could not be read', 'invalidSyntax');
  }
  if (text.trim() === '') throw badRequest('the request body is empty', 'invalidSyntax');
  const shape = scanJsonText(text);
  if (shape.tooDeep) throw badRequest(`the body nests arrays and objects deeper than the limit of ${MAX_JSON_DEPTH} levels`, 'invalidSyntax');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body is not valid JSON: ${(err as Error).message}`, 'invalidSyntax');
  }
  // PostgreSQL stores no U+0000 in text or jsonb; refuse it here, by name, for every endpoint.
  if (shape.hasNul) throw badRequest('strings may not contain the character U+0000', 'invalidValue');
  return body;
}

function tooLarge(limitBytes: number): ScimError {
  return new ScimError(413, `the request body is larger than the limit of ${limitBytes} bytes`);
}
