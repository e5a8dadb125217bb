import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { migrate, openDb } from '../../store/db.ts';

export function registerMigrate(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description('apply database migrations (the server also does this at start); the embedded database must not be in use by a running server')
    .action(async () => {
      const db = openDb({ databaseUrl: cli.config.databaseUrl, pgliteDir: path.join(cli.config.dataDir, 'pglite') });
      try {
        const applied = await migrate(db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
      } finally {
        await db.destroy();
      }
    });
}
