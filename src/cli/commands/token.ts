import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { printJson, printList } from '../output.ts';

export function registerToken(program: Command, cli: CliContext): void {
  const token = program.command('token').description('bearer tokens for SCIM clients, admins and operators');

  token
    .command('issue')
    .description('issue a token; prints only the token')
    .option('--org <id>', 'the organisation (required except for an operator)')
    .requiredOption('--role <role>', 'admin, provisioner, operator or receiver')
    .option('--receiver <id>', 'for --role receiver: the receiver that polls with it')
    .requiredOption('--subject <name>', 'who or what the token is for')
    .option('--ttl <lifetime>', 'lifetime, e.g. 30m, 1h, 30d', '1h')
    .action(async (opts) => {
      const issued = await cli.api()('POST', '/tokens', { organisationId: opts.org, receiverId: opts.receiver, role: opts.role, subject: opts.subject, ttl: opts.ttl });
      process.stdout.write(`${issued.token}\n`);
    });

  token
    .command('list')
    .description('list issued tokens (never the tokens themselves)')
    .option('--org <id>', 'only tokens for this organisation')
    .option('--json', 'print one JSON array')
    .action(async (opts) => {
      const query = opts.org ? `?organisationId=${encodeURIComponent(opts.org)}` : '';
      const rows = await cli.api()('GET', `/tokens${query}`);
      printList(rows, ['jti', 'organisationId', 'role', 'subject', 'expiresAt', 'revokedAt'], Boolean(opts.json));
    });

  token
    .command('revoke <jti>')
    .description('revoke a token by its jti')
    .action(async (jti: string) => printJson(await cli.api()('DELETE', `/tokens/${encodeURIComponent(jti)}`)));
}
