import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { Command } from 'commander';
import pino from 'pino';
import type { CliContext } from '../context.ts';
import { openRepositories } from '../../store/repositories.ts';
import { exportDatabase, importDatabase, type MoveReport } from '../../domain/database-move.ts';

const gzipped = (file: string) => file.endsWith('.gz');

function report(verb: string, file: string, result: MoveReport): void {
  const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
  const migration = result.manifest.migrations.at(-1) ?? 'none';
  process.stdout.write(`${verb} ${Object.keys(result.rows).length} tables, ${rows} rows (schema ${migration}) ${verb === 'exported' ? 'to' : 'from'} ${file}\n`);
  process.stdout.write(`${result.key}\n`);
}

/**
 * `idm db export|import`: work on the database directly, not through the server. Without
 * DATABASE_URL that is the embedded database of DATA_DIR, which is refused while a server runs on
 * it (one process per DATA_DIR): stop the server for the export, or export from DATABASE_URL.
 */
export function registerDb(program: Command, cli: CliContext): void {
  const db = program.command('db').description('the whole database as one archive: moving to PostgreSQL, backups');
  const open = () => openRepositories(cli.config, pino({ level: 'warn' }, pino.destination(2)));

  db.command('export')
    .argument('<file>', 'the archive to write (gzip-compressed when it ends in .gz)')
    .description('write every table, from one snapshot, and the signing key of DATA_DIR to FILE')
    .action(async (file: string) => {
      const database = await open();
      // Written beside, then renamed: FILE is a whole archive or is not there.
      const partial = path.join(path.dirname(file), `.${path.basename(file)}.partial`);
      try {
        const out = fs.createWriteStream(partial, { mode: 0o600 });
        const archive = new PassThrough();
        const written = gzipped(file) ? pipeline(archive, zlib.createGzip(), out) : pipeline(archive, out);
        // A file that cannot be written ends the export (its writes see the stream closed).
        written.catch((err) => archive.destroy(err));
        const result = await exportDatabase(database, archive, { dataDir: cli.config.dataDir, envKey: cli.config.signingKey }).catch(async (err) => {
          await written.catch(() => undefined);
          throw err;
        });
        archive.end();
        await written;
        fs.renameSync(partial, file);
        report('exported', file, result);
      } catch (err) {
        fs.rmSync(partial, { force: true });
        throw err;
      } finally {
        await database.close();
      }
    });

  db.command('import')
    .argument('<file>', 'an archive of idm db export')
    .description('load FILE into an empty database (DATABASE_URL, or the embedded one of DATA_DIR), then migrate it')
    .action(async (file: string) => {
      // Refused before the database is opened: a missing file must not start an embedded server.
      fs.accessSync(file, fs.constants.R_OK);
      const database = await open();
      try {
        const input = fs.createReadStream(file);
        let archive: Readable = input;
        if (gzipped(file)) {
          const gunzip = zlib.createGunzip();
          pipeline(input, gunzip).catch((err) => gunzip.destroy(err));
          archive = gunzip;
        }
        const result = await importDatabase(database, archive, { dataDir: cli.config.dataDir, envKey: cli.config.signingKey });
        report('imported', file, result);
      } finally {
        await database.close();
      }
    });
}
