import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson, printList } from '../output.ts';

const COLUMNS = ['id', 'organisationId', 'userId', 'userName', 'status', 'openedAt', 'openedBy'];

/** `idm terminations`: users an admin or provisioner deactivated, waiting for CSN to end them (SPEC §3.3). */
export function registerTerminations(program: Command, cli: CliContext): void {
  const terminations = program
    .command('terminations')
    .description('termination requests: list the open ones, or complete one')
    .option('--all', 'also cancelled and completed requests')
    .option('--json', 'print one JSON array')
    .action(async (opts) => {
      const rows = await cli.api()('GET', opts.all ? '/terminations' : '/terminations?status=open');
      printList(rows, COLUMNS, Boolean(opts.json));
    });

  terminations
    .command('complete <id>')
    .description('complete a request: deletes the user; prints the request as JSON')
    .action(async (id: string) => printJson(await cli.api()('POST', `/terminations/${encodeURIComponent(id)}/complete`)));
}
