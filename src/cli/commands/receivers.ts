import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson, printList } from '../output.ts';
import { parseBoolean } from '../parse.ts';

const COLUMNS = ['id', 'name', 'delivery', 'endpointUrl', 'payload', 'enabled', 'backlog', 'delivered', 'lastDeliveredAt', 'parked', 'lastError'];

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

/** The body fields the add and update options name; `all` for organisations or event types means every one. */
function bodyOf(opts: Record<string, any>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (opts.name !== undefined) body.name = opts.name;
  if (opts.audience !== undefined) body.audience = opts.audience;
  if (opts.poll) body.endpointUrl = null;
  else if (opts.url !== undefined) body.endpointUrl = opts.url;
  if (opts.orgs !== undefined) body.organisationIds = opts.orgs === 'all' ? null : list(opts.orgs);
  if (opts.events !== undefined) body.eventTypes = opts.events === 'all' ? null : list(opts.events);
  if (opts.full) body.payload = 'full';
  if (opts.notice) body.payload = 'notice';
  if (opts.enabled !== undefined) body.enabled = opts.enabled;
  return body;
}

/** `idm receivers`: downstream systems that get change events (SPEC §6.6). */
export function registerReceivers(program: Command, cli: CliContext): void {
  const receivers = program.command('receivers').description('change-event receivers (RFC 8935 push, RFC 8936 poll)');
  const settings = (command: Command) =>
    command
      .option('--audience <aud>', 'the SETs\' aud claim, as the receiver expects it')
      .option('--url <https-url>', 'push the events to this endpoint (http only on loopback)')
      .option('--poll', 'the receiver polls POST /events/v1/poll instead (issue it a token: idm token issue --role receiver --receiver ID)')
      .option('--orgs <ids>', 'comma-separated organisation ids, or "all"')
      .option('--events <types>', 'comma-separated: create, patch, delete, activate, deactivate, or "all"')
      .option('--full', 'events carry the data (RFC 9967 full)')
      .option('--notice', 'events carry attribute names only (RFC 9967 notice)');

  settings(receivers.command('add').description('register a receiver; prints it as JSON').requiredOption('--name <name>', 'what the receiver is called'))
    .action(async (opts) => {
      if (!opts.url && !opts.poll) throw new Error('give --url for push delivery, or --poll');
      const body = bodyOf(opts);
      body.audience ??= opts.name;
      printJson(await cli.api()('POST', '/receivers', body));
    });

  receivers
    .command('list')
    .description('receivers with their backlog, last delivery, parked events and last error')
    .option('--json', 'print one JSON array')
    .action(async (opts) => printList(await cli.api()('GET', '/receivers'), COLUMNS, Boolean(opts.json)));

  settings(receivers.command('update <id>').description('change a receiver; prints it as JSON').option('--name <name>'))
    .option('--enabled <bool>', 'true, or false to pause it', parseBoolean)
    .action(async (id: string, opts) => printJson(await cli.api()('PATCH', `/receivers/${encodeURIComponent(id)}`, bodyOf(opts))));

  receivers
    .command('remove <id>')
    .description('remove a receiver; its undelivered events are not sent')
    .action(async (id: string) => {
      await cli.api()('DELETE', `/receivers/${encodeURIComponent(id)}`);
      process.stdout.write(`removed receiver ${id}\n`);
    });
}
