import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from '../api-client.ts';
import type { CliContext } from '../context.ts';
import { readLayout, readRecords, type CsvLayout, type CsvRecord } from './import-csv.ts';
import { progress } from './import-progress.ts';
// Types only: the CLI sends the rows the operator API takes (src/domain/user-import.ts), and runs none of its code.
import type { ImportResult, ImportRow } from '../../domain/user-import.ts';

/** A row's outcome as the server answers it, or as refused here before sending. */
type RowResult = Pick<ImportResult, 'line' | 'userName' | 'outcome' | 'status' | 'reason'>;

/** The server's IMPORT_MAX_ROWS. */
const MAX_BATCH_ROWS = 1000;
/**
 * Measured on 2 cores against PostgreSQL: the server spends most of a batch waiting on PostgreSQL
 * round trips (four per new user), so four batches of 250 in flight go faster than two of 500,
 * and still leave most of the server's 10 database connections to other requests.
 */
const DEFAULT_BATCH_ROWS = 250;
const DEFAULT_CONCURRENCY = 4;
/** Kept well under the server's default MAX_BODY_BYTES (1 MiB). */
const MAX_BATCH_CHARS = 512 * 1024;
/** A row longer than this cannot be a user: refused here rather than sent. */
const MAX_ROW_CHARS = 64 * 1024;
const SHOWN_REFUSALS = 20;

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

function parseRules(value: string): string {
  if (value !== 'operator' && value !== 'provisioner') throw new InvalidArgumentError('expected operator or provisioner');
  return value;
}

/**
 * `idm import --org ID FILE.csv` (SPEC §6.4): creates or updates the file's users, matched by
 * userName, and grants the services of its `services` column, through the operator API in
 * batches. The file is read twice: once to check it whole and count its rows (nothing is sent
 * when it cannot be read), then to send it. Refused rows are reported; they never stop the rest.
 */
export function registerImport(program: Command, cli: CliContext): void {
  program
    .command('import')
    .description('create or update users from a CSV file (UTF-8, ";" or "," separated) and grant their services')
    .argument('<file>', 'CSV with a header line: userName (required), givenName, familyName, email, externalId, active, services')
    .requiredOption('--org <id>', 'the organisation')
    .option('--rules <role>', 'whose SCIM rules apply: operator (default) or provisioner (form-only services refused)', parseRules, 'operator')
    .option('--json', 'print the summary as JSON, with every refused row')
    .option('--quiet', 'no progress on stderr')
    .option('--batch-size <rows>', 'rows per request', wholeNumber(1, MAX_BATCH_ROWS), DEFAULT_BATCH_ROWS)
    .option('--concurrency <n>', 'requests in flight at once', wholeNumber(1, 8), DEFAULT_CONCURRENCY)
    .addHelpText('after', [
      '',
      'A row creates the user when no user of the organisation has its userName (case-insensitively),',
      'else updates the cells it fills in; empty cells keep what is stored. "services" lists service',
      'codes or display names separated by "|" or ",", e.g. studietider-och-utbildningar|studeranderapportering;',
      'they are granted, never taken away. Each row is all or nothing. Exit status 0 when the file was',
      'processed, refused rows or not; 1 when it could not be read or the server refused the import.',
    ].join('\n'))
    .action(async (file: string, opts) => {
      const started = Date.now();
      const layout = await readLayout(file);
      const total = await countRows(file, layout);
      const api = cli.api();
      const org = await api<{ id: string; name: string }>('GET', `/organisations/${encodeURIComponent(opts.org)}`);
      const path = `/organisations/${encodeURIComponent(org.id)}/import`;

      const results: RowResult[] = [];
      const bar = progress(total, { quiet: Boolean(opts.quiet) });
      const finish = (rows: RowResult[]) => {
        results.push(...rows);
        bar.advance(rows.length);
      };

      const inFlight = new Set<Promise<void>>();
      let failure: Error | undefined;
      let batch: ImportRow[] = [];
      let batchChars = 0;
      const send = () => {
        const rows = batch;
        batch = [];
        batchChars = 0;
        const request: Promise<void> = api<{ results: RowResult[] }>('POST', path, { rules: opts.rules, rows })
          .then((answer) => finish(answer.results), (err: Error) => void (failure ??= err))
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
      };

      const firstLine = new Map<string, number>();
      try {
        for await (const record of readRecords(file, layout)) {
          const row = toRow(record, layout);
          const refusal = localRefusal(row, record, layout, firstLine);
          if (refusal) {
            finish([refusal]);
            continue;
          }
          const chars = JSON.stringify(row).length;
          if (batch.length && batchChars + chars > MAX_BATCH_CHARS) send();
          batch.push(row);
          batchChars += chars;
          if (batch.length >= opts.batchSize) send();
          while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
          if (failure) break;
        }
        if (!failure && batch.length) send();
        await Promise.all(inFlight);
      } finally {
        bar.stop();
      }
      if (failure) {
        throw new CliError(
          `the import stopped: ${failure.message}\n${results.length} of ${total} rows were processed before it stopped and are kept; ` +
            'run the same import again to finish (users already imported are matched by userName).',
        );
      }
      report(summarise(file, org.id, opts.rules, total, results, started), Boolean(opts.json));
    });
}

/** The first pass: the whole file is read once, so a broken file is refused before anything is sent. */
async function countRows(file: string, layout: CsvLayout): Promise<number> {
  let rows = 0;
  try {
    for await (const _record of readRecords(file, layout)) rows++;
  } catch (err) {
    throw new CliError(`${(err as Error).message} Nothing was imported.`);
  }
  return rows;
}

function toRow(record: CsvRecord, layout: CsvLayout): ImportRow {
  const row: ImportRow = { line: record.line };
  layout.columns.forEach((column, i) => {
    const cell = record.cells[i];
    if (!column || cell === undefined || cell === '') return;
    if (column === 'services') {
      const services = cell.split(/[|,]/).map((s) => s.trim()).filter(Boolean);
      if (services.length) row.services = services;
    } else {
      row[column] = cell;
    }
  });
  return row;
}

/** What can be refused without the server: a misaligned row, an oversized one, a userName seen before. */
function localRefusal(row: ImportRow, record: CsvRecord, layout: CsvLayout, firstLine: Map<string, number>): RowResult | undefined {
  const refuse = (reason: string): RowResult => ({ line: row.line, userName: row.userName ?? '', outcome: 'refused', reason });
  if (record.cells.length !== layout.columns.length) {
    return refuse(`the row has ${record.cells.length} fields where the header has ${layout.columns.length}`);
  }
  if (JSON.stringify(row).length > MAX_ROW_CHARS) return refuse(`the row is longer than ${MAX_ROW_CHARS} characters`);
  if (row.userName) {
    const key = row.userName.toLowerCase();
    const earlier = firstLine.get(key);
    if (earlier !== undefined) return refuse(`userName "${row.userName}" appears earlier in the file (line ${earlier})`);
    firstLine.set(key, row.line);
  }
  return undefined;
}

interface Summary {
  file: string;
  organisationId: string;
  rules: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  refused: number;
  seconds: number;
  rowsPerSecond: number;
  refusals: { line: number; userName: string; status?: number; reason: string }[];
}

function summarise(file: string, organisationId: string, rules: string, rows: number, results: RowResult[], started: number): Summary {
  const seconds = (Date.now() - started) / 1000;
  const count = (outcome: RowResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const refusals = results
    .filter((r) => r.outcome === 'refused')
    .sort((a, b) => a.line - b.line)
    .map((r) => ({ line: r.line, userName: r.userName, ...(r.status ? { status: r.status } : {}), reason: r.reason ?? 'refused' }));
  return {
    file,
    organisationId,
    rules,
    rows,
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    refused: refusals.length,
    seconds: Math.round(seconds * 10) / 10,
    rowsPerSecond: Math.round(rows / Math.max(seconds, 0.001)),
    refusals,
  };
}

function report(summary: Summary, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const lines = [
    `${summary.file}: ${summary.rows} rows in ${summary.seconds} s (${summary.rowsPerSecond} rows/s), organisation ${summary.organisationId}, ${summary.rules} rules`,
    `created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, refused ${summary.refused}`,
  ];
  if (summary.refused) {
    lines.push('refused rows:');
    for (const r of summary.refusals.slice(0, SHOWN_REFUSALS)) lines.push(`  line ${r.line}${r.userName ? ` (${r.userName})` : ''}: ${r.reason}`);
    if (summary.refused > SHOWN_REFUSALS) lines.push(`  … and ${summary.refused - SHOWN_REFUSALS} more (--json lists them all)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
