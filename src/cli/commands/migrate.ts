import type { Command } from 'commander';
import pino from 'pino';
import type { CliContext } from '../context.ts';
import { openRepositories } from '../../store/repositories.ts';

export function registerMigrate(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description('apply database migrations (the server also does this at start); the embedded database must not be in use by a running server')
    .action(async () => {
      // Without DATABASE_URL this starts the embedded server of DATA_DIR for the while, and is
      // refused while a server runs on it (that server migrated at its start).
      const database = await openRepositories(cli.config, pino({ level: 'warn' }, pino.destination(2)));
      try {
        const applied = await database.migrate();
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
      } finally {
        await database.close();
      }
    });
}
