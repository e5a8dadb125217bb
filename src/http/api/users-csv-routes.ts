import { Readable, Transform, pipeline } from 'node:stream';
import Router from '@koa/router';
import { stringify } from 'csv-stringify';
import type { AppContext, AppDeps, AppState } from '../context.ts';
import { tenantRequest } from '../scim/tenant.ts';
import { EXPORT_COLUMNS, startUserExport, type ExportRecord } from '../../domain/user-export.ts';

// Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection,
// OWASP). Such cells get a leading apostrophe, which Excel and LibreOffice hide and read as
// "text"; the full-width forms are included because some versions treat them alike.
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function spreadsheetSafe(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/**
 * GET /api/v1/users.csv (SPEC §6.3): the organisation's users as CSV for spreadsheets — UTF-8 with
 * a BOM (so Excel reads å, ä, ö), `;` between fields (Swedish Excel's list separator), RFC 4180
 * quoting and CRLF. Streamed: rows are produced a database page at a time as the client reads.
 */
export function usersCsvRoutes(deps: AppDeps): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/users.csv', async (ctx: AppContext) => {
    const req = await tenantRequest(ctx, deps);
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
    // A client that goes away destroys the body (Koa), which stops the generator and its queries.
    pipeline(Readable.from(records), safe, csv, (err) => {
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        deps.log.error({ err, requestId: ctx.state.requestId }, 'user export failed while streaming');
      }
    });

    ctx.status = 200;
    ctx.body = csv;
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="users-${req.org.id}.csv"`);
    ctx.set('Cache-Control', 'no-store');
  });

  return router;
}
