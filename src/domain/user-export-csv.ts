import { Readable, Transform, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import { EXPORT_COLUMNS, startUserExport, type ExportRecord } from './user-export.ts';
import type { TenantRequest } from './tenant-request.ts';

// Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection,
// OWASP). Such cells get a leading apostrophe, which Excel and LibreOffice hide and read as
// "text"; the full-width forms are included because some versions treat them alike.
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function spreadsheetSafe(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/**
 * The user list as CSV for spreadsheets (SPEC §6.3), the one encoding behind /api/v1/users.csv and
 * the web page's download: UTF-8 with a BOM (so Excel reads å, ä, ö), `;` between fields (Swedish
 * Excel's list separator), RFC 4180 quoting and CRLF. Rows are produced a database page at a time
 * as the reader consumes them; `onError` hears of a failure after the first bytes have gone.
 */
export async function userExportCsv(req: TenantRequest, onError: (err: Error) => void): Promise<Readable> {
  const records = await startUserExport(req);
  const csv = stringify({
    delimiter: ';',
    record_delimiter: '\r\n',
    bom: true,
    header: true,
    columns: [...EXPORT_COLUMNS],
    // RFC 4180 §2.6: a field with a line break is quoted. The library quotes only the record
    // delimiter (CRLF) by itself, so a lone LF or CR is added here.
    quoted_match: /[\r\n]/,
  });
  const safe = new Transform({
    objectMode: true,
    transform(record: ExportRecord, _encoding, done) {
      done(null, record.map(spreadsheetSafe));
    },
  });
  // A reader that goes away destroys the stream, which stops the generator and its queries.
  pipeline(Readable.from(records), safe, csv, (err) => {
    if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') onError(err);
  });
  return csv;
}

export const userExportFileName = (orgId: string): string => `users-${orgId}.csv`;
