import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson, printList } from '../output.ts';

const COLUMNS = ['userId', 'userName', 'reference', 'signedBy', 'signedByTitle', 'signedAt', 'grantedBy', 'grantedAt'];

const administrators = (orgId: string) => `/organisations/${encodeURIComponent(orgId)}/administrators`;

/** `idm admin`: behörighetsadministratörer, registered with their signed declaration (SPEC §3.5). */
export function registerAdmin(program: Command, cli: CliContext): void {
  const admin = program.command('admin').description('administrators (behörighetsadministratörer) of an organisation');

  admin
    .command('grant')
    .description('make a user an administrator, with the signed declaration; prints it as JSON')
    .requiredOption('--org <id>', 'the organisation')
    .requiredOption('--user <userId>', 'the user (SCIM id)')
    .requiredOption('--reference <text>', "the declaration's reference (diarienummer)")
    .requiredOption('--signed-by <name>', 'who signed the declaration')
    .requiredOption('--signed-by-title <title>', 'rektor (school) or forvaltningschef (municipality)')
    .requiredOption('--signed-at <date>', 'when it was signed, YYYY-MM-DD')
    .action(async (opts) => {
      const body = { userId: opts.user, reference: opts.reference, signedBy: opts.signedBy, signedByTitle: opts.signedByTitle, signedAt: opts.signedAt };
      printJson(await cli.api()('POST', administrators(opts.org), body));
    });

  admin
    .command('revoke')
    .description('remove a user from the administrators (the declaration is kept, marked revoked)')
    .requiredOption('--org <id>', 'the organisation')
    .requiredOption('--user <userId>', 'the user (SCIM id)')
    .action(async (opts) => {
      await cli.api()('DELETE', `${administrators(opts.org)}/${encodeURIComponent(opts.user)}`);
      process.stdout.write(`revoked: ${opts.user}\n`);
    });

  admin
    .command('list')
    .description("list an organisation's administrators with their declarations")
    .requiredOption('--org <id>', 'the organisation')
    .option('--json', 'print one JSON array')
    .action(async (opts) => printList(await cli.api()('GET', administrators(opts.org)), COLUMNS, Boolean(opts.json)));
}
