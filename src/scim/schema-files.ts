import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

/** Reads one JSON document from schemas/; the files are the single source of SCIM metadata. */
export function readSchemaFile<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, name), 'utf8')) as T;
}
