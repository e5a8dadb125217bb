import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

const EXAMPLES = [
  { name: 'Exempelgymnasiet', type: 'school', schoolForm: 'gymnasieskola', postalAddress: 'Skolgatan 1, 123 45 Exempelstad' },
  { name: 'Exempelkomvux', type: 'school', schoolForm: 'komvux', reportsViaFile: true, postalAddress: 'Vuxengatan 2, 123 45 Exempelstad' },
  { name: 'Exempelkommun', type: 'municipality', postalAddress: 'Kommunhuset, 123 45 Exempelstad' },
];

export function registerDemo(program: Command, cli: CliContext): void {
  program
    .command('demo')
    .description('create example organisations and print an admin token and a curl line for each')
    .action(async () => {
      const api = cli.api();
      for (const example of EXAMPLES) {
        const org = await api('POST', '/organisations', example);
        const issued = await api('POST', '/tokens', { organisationId: org.id, role: 'admin', subject: `demo-admin-${org.name}`, ttl: '8h' });
        process.stdout.write(
          `# ${org.name} (${org.type}${org.schoolForm ? `, ${org.schoolForm}` : ''}) id ${org.id}\n` +
            `TOKEN=${issued.token}\n` +
            `curl -H "Authorization: Bearer $TOKEN" ${cli.baseUrl}/scim/v2/Groups\n\n`,
        );
      }
    });
}
