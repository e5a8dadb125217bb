/**
 * The PostgreSQL server the benchmarks use: DATABASE_URL when set (its database part is replaced
 * by the bench database's name), else the local server on 127.0.0.1:5432 as user postgres.
 */
export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function serverUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL || DEFAULT_SERVER_URL;
}

/** The URL of database `name` on the same server as `server`. */
export function databaseUrl(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The maintenance database of the server (for CREATE/DROP DATABASE). */
export function maintenanceUrl(server: string): string {
  return databaseUrl(server, 'postgres');
}

/** Database names are interpolated into DDL, so only plain identifiers are accepted. */
export function checkDatabaseName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name "${name}" must be a lower-case identifier`);
  return name;
}
