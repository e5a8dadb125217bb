import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson, printList } from '../output.ts';
import { parseBoolean } from '../parse.ts';

const COLUMNS = ['id', 'name', 'type', 'schoolForm', 'reportsViaFile', 'organisationNumber', 'active'];

export function registerOrg(program: Command, cli: CliContext): void {
  const org = program.command('org').description('organisations (tenants)');

  org
    .command('create')
    .description('create an organisation and its service groups; prints it as JSON')
    .requiredOption('--name <name>', 'the organisation name')
    .requiredOption('--type <type>', 'school or municipality')
    .option('--school-form <form>', 'for a school: gymnasieskola, konst-och-kulturskola, komvux, folkhogskola, hogskola, yrkeshogskola, ovrig')
    .option('--reports-via-file', 'the school reports to CSN by file')
    .option('--org-number <number>', 'organisationsnummer, NNNNNN-NNNN')
    .option('--postal-address <text>', 'postal address for letters')
    .action(async (opts) => {
      const body: Record<string, unknown> = { name: opts.name, type: opts.type };
      if (opts.schoolForm) body.schoolForm = opts.schoolForm;
      if (opts.reportsViaFile) body.reportsViaFile = true;
      if (opts.orgNumber) body.organisationNumber = opts.orgNumber;
      if (opts.postalAddress) body.postalAddress = opts.postalAddress;
      printJson(await cli.api()('POST', '/organisations', body));
    });

  org
    .command('list')
    .description('list organisations')
    .option('--json', 'print one JSON array')
    .action(async (opts) => printList(await cli.api()('GET', '/organisations'), COLUMNS, Boolean(opts.json)));

  org
    .command('show <id>')
    .description('show one organisation as JSON')
    .action(async (id: string) => printJson(await cli.api()('GET', `/organisations/${encodeURIComponent(id)}`)));

  org
    .command('update <id>')
    .description('change an organisation; prints it as JSON')
    .option('--name <name>')
    .option('--school-form <form>')
    .option('--reports-via-file <bool>', 'true or false', parseBoolean)
    .option('--active <bool>', 'true or false', parseBoolean)
    .option('--org-number <number>')
    .option('--postal-address <text>')
    .action(async (id: string, opts) => {
      const body: Record<string, unknown> = {};
      if (opts.name !== undefined) body.name = opts.name;
      if (opts.schoolForm !== undefined) body.schoolForm = opts.schoolForm;
      if (opts.reportsViaFile !== undefined) body.reportsViaFile = opts.reportsViaFile;
      if (opts.active !== undefined) body.active = opts.active;
      if (opts.orgNumber !== undefined) body.organisationNumber = opts.orgNumber;
      if (opts.postalAddress !== undefined) body.postalAddress = opts.postalAddress;
      printJson(await cli.api()('PATCH', `/organisations/${encodeURIComponent(id)}`, body));
    });
}
