import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config/config.ts';
import { CliError } from './api-client.ts';
import { cliContext } from './context.ts';
import { registerOrg } from './commands/org.ts';
import { registerToken } from './commands/token.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerDemo } from './commands/demo.ts';
import { registerAdmin } from './commands/admin.ts';
import { registerTerminations } from './commands/terminations.ts';
import { registerPurge } from './commands/purge.ts';
import { registerOutbox } from './commands/outbox.ts';
import { registerImport } from './commands/import.ts';
import { registerReceivers } from './commands/receivers.ts';
import { registerDb } from './commands/db.ts';

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const cli = cliContext(loadConfig(env), env);
  const program = new Command('idm')
    .description('operate an Identity Manager server (IDM_URL, default http://127.0.0.1:8080)')
    .exitOverride()
    .showHelpAfterError();
  registerOrg(program, cli);
  registerToken(program, cli);
  registerMigrate(program, cli);
  registerDemo(program, cli);
  registerAdmin(program, cli);
  registerTerminations(program, cli);
  registerPurge(program, cli);
  registerOutbox(program, cli);
  registerImport(program, cli);
  registerReceivers(program, cli);
  registerDb(program, cli);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      process.stderr.write(`idm: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`idm: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await runCli(process.argv.slice(2));
