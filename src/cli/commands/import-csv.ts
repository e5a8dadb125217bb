import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { CliError } from '../api-client.ts';

/**
 * Reading the CSV file of `idm import` (SPEC §6.4): UTF-8 with or without a BOM, `;` or `,`
 * between fields (whichever the header line uses), RFC 4180 quoting, a header line naming the
 * columns case-insensitively. The file is refused whole, before anything is sent, when it is not
 * UTF-8, a quote is left open, or the header names a column the import does not know.
 */

/** The columns the import reads, by their lower-cased header name. */
export const COLUMNS = {
  username: 'userName',
  givenname: 'givenName',
  familyname: 'familyName',
  email: 'email',
  externalid: 'externalId',
  active: 'active',
  services: 'services',
} as const;
export type Column = (typeof COLUMNS)[keyof typeof COLUMNS];

/**
 * Columns of the user list the server writes (GET /api/v1/users.csv, SPEC §6.3) that the server
 * derives itself. They are read and ignored, so that list can be edited and imported again.
 */
export const DERIVED_COLUMNS = ['credentialstatus', 'created', 'lastmodified'];

export interface CsvLayout {
  delimiter: ';' | ',';
  /** The column of each field of a record, by position; undefined for a derived column. */
  columns: (Column | undefined)[];
}

export interface CsvRecord {
  /** The line of the file the record starts on (the header is line 1). */
  line: number;
  cells: string[];
}

const HEADER_BYTES = 64 * 1024;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Reads the header line: which separator the file uses and which column each field is. */
export async function readLayout(file: string): Promise<CsvLayout> {
  let head: Buffer;
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const buffer = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (head.subarray(0, 3).equals(BOM)) head = head.subarray(3);
  const text = head.toString('utf8');
  const end = text.indexOf('\n');
  const headerLine = (end === -1 ? text : text.slice(0, end)).replace(/\r$/, '');
  if (headerLine.trim() === '') throw new CliError(`${file} has no header line (the first line names the columns: userName;givenName;familyName;email;…)`);
  const delimiter = separatorOf(headerLine);
  let names: string[];
  try {
    [names] = parseSync(headerLine, { delimiter, trim: true }) as string[][];
  } catch (err) {
    throw new CliError(`${file}: the header line cannot be read: ${(err as Error).message}`);
  }
  const columns: (Column | undefined)[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) throw new CliError(`${file}: the column "${name}" appears twice in the header`);
    seen.add(key);
    if (key in COLUMNS) columns.push(COLUMNS[key as keyof typeof COLUMNS]);
    else if (DERIVED_COLUMNS.includes(key)) columns.push(undefined);
    else unknown.push(name === '' ? '(empty)' : name);
  }
  if (unknown.length) {
    throw new CliError(
      `${file}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; ` +
        `the columns are ${Object.values(COLUMNS).join(', ')} (header names are not case-sensitive). Nothing was imported.`,
    );
  }
  if (!columns.includes('userName')) throw new CliError(`${file}: the header has no userName column. Nothing was imported.`);
  return { delimiter, columns };
}

/** The separator the header line uses outside quotes: `;` (Excel in Swedish) or `,`. */
export function separatorOf(headerLine: string): ';' | ',' {
  let semicolons = 0;
  let commas = 0;
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ';') semicolons++;
    else if (!quoted && ch === ',') commas++;
  }
  return semicolons > commas ? ';' : ',';
}

/**
 * The records after the header, streamed. Lines that are empty or hold only separators (as
 * spreadsheets write below the data) are skipped. Throws a CliError on text that is not UTF-8 or
 * a quote left open, naming the line.
 */
export async function* readRecords(file: string, layout: CsvLayout): AsyncGenerator<CsvRecord> {
  const parser = fs
    .createReadStream(file)
    .on('error', (err) => parser.destroy(err))
    .pipe(utf8Check())
    .on('error', (err) => parser.destroy(err))
    .pipe(parse({ delimiter: layout.delimiter, bom: true, from_line: 2, relax_column_count: true, trim: true }));
  // Lines are counted here rather than taken from csv-parse's info.lines, which counts a CRLF
  // inside a quoted field as two lines. Every record ends one line, plus the line breaks inside
  // its quoted fields; an empty line is a record of one empty field.
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const start = ++line;
      for (const cell of record) line += cell.match(/\r\n|\n/g)?.length ?? 0;
      if (record.every((cell) => cell === '')) continue;
      yield { line: start, cells: record };
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file}: ${(err as Error).message.replace(/\.$/, '')}.`);
  }
}

/** Passes bytes through unchanged, failing on the first byte sequence that is not UTF-8. */
function utf8Check(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  const fail = (at: number) => new Error(`not UTF-8 text (line ${at}); save it as "CSV UTF-8" and try again`);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        const text = new TextDecoder().decode(chunk);
        return done(fail(line + (text.slice(0, text.indexOf('\uFFFD')).match(/\n/g)?.length ?? 0)));
      }
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) line++;
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      try {
        decoder.decode();
      } catch {
        return done(fail(line));
      }
      done();
    },
  });
}
