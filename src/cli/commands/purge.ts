import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printList } from '../output.ts';

const COLUMNS = ['organisationId', 'userId', 'userName', 'ungroupedSince', 'deleted'];

function parseDays(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of days');
  return Number(value);
}

/** `idm purge`: delete users who have had no service for more than N days (SPEC §3.6). */
export function registerPurge(program: Command, cli: CliContext): void {
  program
    .command('purge')
    .description('delete users who are members of no group and have been so for more than N days')
    .option('--older-than <days>', 'days without any group (default 30)', parseDays)
    .option('--dry-run', 'only list who would be deleted')
    .option('--json', 'print one JSON array')
    .action(async (opts) => {
      const body: Record<string, unknown> = { dryRun: Boolean(opts.dryRun) };
      if (opts.olderThan !== undefined) body.olderThanDays = opts.olderThan;
      const rows: Record<string, unknown>[] = await cli.api()('POST', '/purge', body);
      printList(rows, COLUMNS, Boolean(opts.json));
      if (!opts.json) process.stdout.write(`${rows.length} user(s) ${opts.dryRun ? 'would be deleted (dry run)' : 'deleted'}\n`);
    });
}
