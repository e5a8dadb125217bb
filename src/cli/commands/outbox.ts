import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printList } from '../output.ts';

const COLUMNS = ['id', 'organisationId', 'channel', 'recipient', 'subject', 'body', 'status', 'attempts', 'createdAt', 'deliveredAt'];

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

/** `idm outbox`: letters and e-mails, newest first, for operators to read when no SMTP server is set (SPEC §3.8). */
export function registerOutbox(program: Command, cli: CliContext): void {
  program
    .command('outbox')
    .description('letters and e-mails, newest first')
    .option('--status <status>', 'only messages with this status, e.g. pending or delivered')
    .option('--org <id>', 'only messages of this organisation')
    .option('--limit <n>', 'at most this many (default 100, at most 1000)', parseLimit)
    .option('--json', 'print one JSON array')
    .action(async (opts) => {
      const query = new URLSearchParams();
      if (opts.status) query.set('status', opts.status);
      if (opts.org) query.set('organisationId', opts.org);
      if (opts.limit !== undefined) query.set('limit', String(opts.limit));
      const rows: Record<string, unknown>[] = await cli.api()('GET', `/outbox${query.toString() ? `?${query}` : ''}`);
      // Letters and e-mails have CRLF line ends; a table cell wants plain newlines.
      const readable = opts.json ? rows : rows.map((r) => ({ ...r, body: String(r.body).replace(/\r\n/g, '\n') }));
      printList(readable, COLUMNS, Boolean(opts.json));
    });
}
