// Loads a benchmark data set into a fresh PostgreSQL database through the project's own schema
// (migrations) and organisation code, then bulk-loads users and memberships in SQL
// (INSERT … SELECT over generate_series): a million users take a minute or two, not hours.
//
//   node --import tsx bench/generate.ts [--db idm_bench] [--users 1000000] [--orgs 1000] [--big-org-users 100000]
//
// The server is DATABASE_URL's (default postgres://postgres@127.0.0.1:5432/postgres); the database
// named by --db is dropped and created again. A manifest for bench/run.ts is written to
// bench/.last-dataset.json (or --manifest).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDb, migrate } from '../src/store/db.ts';
import { createRepositories } from '../src/store/repositories.ts';
import { createOrganisation, newOrganisation } from '../src/domain/organisations.ts';
import { SCHOOL_FORMS, type OrganisationType, type SchoolForm } from '../src/domain/organisations.ts';
import { checkDatabaseName, databaseUrl, maintenanceUrl, serverUrl } from './lib/pg-url.ts';
import { msSince } from './lib/stats.ts';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_MANIFEST = path.join(BENCH_DIR, '.last-dataset.json');

/** Users of the big organisation that are in no group: PATCH adds them to a group and removes them again. */
export const SPARE_USERS = 100;
/** The big organisation's second group has this many members. */
export const SMALL_GROUP_MEMBERS = 10;
/** Share of the other organisations' users that hold their organisation's tenant service. */
const MEMBER_SHARE_PERCENT = 70;
const SAMPLE_USERS = 5000;

export interface GenerateOptions {
  database: string;
  users: number;
  orgs: number;
  bigOrgUsers: number;
  server?: string;
  manifestPath?: string;
  log?: (line: string) => void;
}

export interface Manifest {
  database: string;
  databaseUrl: string;
  generatedAt: string;
  sizes: { users: number; orgs: number; bigOrgUsers: number; spareUsers: number; memberships: number };
  timingsMs: Record<string, number>;
  bigOrgId: string;
  /** A second organisation that takes the write scenarios (POST /Users, Bulk), so the big one keeps its size. */
  writeOrgId: string;
  /** The big organisation's group with every one of its bigOrgUsers users as members. */
  bigGroupId: string;
  /** The big organisation's group with SMALL_GROUP_MEMBERS members. */
  smallGroupId: string;
  /** Users of the big organisation in no group. */
  spareUserIds: string[];
  /** Random users of the big organisation. */
  samples: { id: string; userName: string }[];
}

const GIVEN = ['Anna', 'Erik', 'Maria', 'Lars', 'Karin', 'Anders', 'Eva', 'Johan', 'Kristina', 'Per', 'Sara', 'Mikael', 'Elin', 'Olof', 'Ingrid', 'Nils', 'Åsa', 'Björn', 'Sofia', 'Göran'];
const FAMILY = ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson', 'Gustafsson', 'Pettersson', 'Jonsson', 'Jansson', 'Hansson', 'Bengtsson', 'Jönsson', 'Lindberg', 'Lindström', 'Lindqvist', 'Åkesson'];
const TOWNS = ['Ale', 'Borås', 'Eslöv', 'Falun', 'Gävle', 'Hjo', 'Kalmar', 'Luleå', 'Malmö', 'Nora', 'Piteå', 'Ronneby', 'Sala', 'Tranås', 'Umeå', 'Vara', 'Ystad', 'Åmål', 'Örebro', 'Östersund'];

/** Organisation `n` (0 is the big one): roughly one in four a municipality, the rest schools of every form. */
function organisationSpec(n: number): { name: string; type: OrganisationType; schoolForm: SchoolForm | null; reportsViaFile: boolean } {
  const town = TOWNS[n % TOWNS.length];
  // The big organisation is a komvux that reports via file, so a provisioner may change both of its
  // service groups (SPEC §3.2): the 100k-member group and the 10-member one.
  if (n === 0) return { name: `${town} kommunala vuxenutbildning (bench 0)`, type: 'school', schoolForm: 'komvux', reportsViaFile: true };
  if (n % 4 === 3) return { name: `${town} kommun (bench ${n})`, type: 'municipality', schoolForm: null, reportsViaFile: false };
  const form = SCHOOL_FORMS[n % SCHOOL_FORMS.length];
  return { name: `${town} ${form} (bench ${n})`, type: 'school', schoolForm: form, reportsViaFile: (form === 'komvux' || form === 'folkhogskola') && n % 2 === 0 };
}

function sqlTextArray(values: string[]): string {
  return `array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')}]`;
}

export async function generate(options: GenerateOptions): Promise<Manifest> {
  const log = options.log ?? ((line: string) => console.log(line));
  const name = checkDatabaseName(options.database);
  const { users, orgs, bigOrgUsers } = options;
  const spare = SPARE_USERS;
  if (!(orgs >= 2)) throw new Error('--orgs must be at least 2 (the big organisation and one for the write scenarios)');
  if (!(bigOrgUsers >= SMALL_GROUP_MEMBERS)) throw new Error(`--big-org-users must be at least ${SMALL_GROUP_MEMBERS}`);
  if (!(users >= bigOrgUsers + spare)) throw new Error(`--users must be at least --big-org-users + ${spare}`);
  const server = options.server ?? serverUrl();
  const url = databaseUrl(server, name);
  const timings: Record<string, number> = {};
  const step = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    const result = await work();
    timings[label] = Math.round(msSince(started));
    log(`  ${label.padEnd(34)} ${(timings[label] / 1000).toFixed(1).padStart(7)} s`);
    return result;
  };
  log(`generating ${name}: ${users} users, ${orgs} organisations, big organisation ${bigOrgUsers} users (+${spare} in no group)`);

  await step('create database', async () => {
    const admin = new pg.Client({ connectionString: maintenanceUrl(server) });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.query(`create database ${name}`);
    } finally {
      await admin.end();
    }
  });

  const db = openDb({ databaseUrl: url, poolMax: 8 });
  const client = new pg.Client({ connectionString: url });
  try {
    await step('migrations (project)', () => migrate(db));

    // Organisations and their catalog groups through the project's own code path.
    const created = await step(`${orgs} organisations (project code)`, async () => {
      const repos = createRepositories(db);
      const acting = (now: Date) => ({ principal: { role: 'operator' as const, subject: 'idm:bench', orgId: undefined, jti: 'idm:bench', expiresAt: 0 }, requestId: 'bench', now });
      const base = Date.parse('2019-01-01T00:00:00Z');
      const ids: string[] = new Array(orgs);
      let next = 0;
      const worker = async () => {
        for (let n = next++; n < orgs; n = next++) {
          const spec = organisationSpec(n);
          ids[n] = (await createOrganisation(repos, newOrganisation({ ...spec, postalAddress: `Box ${100 + n}, ${TOWNS[n % TOWNS.length]}` }), acting(new Date(base + n * 60_000)))).id;
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      return ids;
    });

    await client.connect();
    await client.query(`set synchronous_commit = off; set work_mem = '256MB'; set maintenance_work_mem = '512MB'`);
    // n: position of the organisation; its tenant service group takes the members.
    await client.query(`create temp table bench_orgs (n int primary key, id uuid not null, domain text not null, group_id uuid)`);
    await client.query(
      `insert into bench_orgs (n, id, domain, group_id)
       select t.n - 1, t.id, 'org' || (t.n - 1) || '.exempel.se',
              (select g.id from groups g where g.org_id = t.id and g.service_code in ('studietider-och-utbildningar', 'studiestartsstod'))
       from unnest($1::uuid[]) with ordinality as t(id, n)`,
      [created],
    );

    const bigBlock = bigOrgUsers + spare;
    const others = orgs - 1;
    // User i (1…users): the first bigOrgUsers + spare go to organisation 0, the rest round-robin
    // to the others. Created times run from 2019 to 2025 in the order of i; the first
    // bigOrgUsers of organisation 0 are members of its big group, as are MEMBER_SHARE_PERCENT % of
    // the other organisations' users of their tenant group; the rest have been ungrouped since created.
    await step(`${users} users (INSERT … SELECT)`, () => client.query(
      `with source as (
         select i,
                case when i <= $2 then 0 else 1 + (i - $2 - 1) % $3 end as n,
                case when i <= $2 then i <= $4 else i % 100 < $5 end as member,
                (${sqlTextArray(GIVEN)})[1 + i % ${GIVEN.length}] as given,
                (${sqlTextArray(FAMILY)})[1 + (i / ${GIVEN.length}) % ${FAMILY.length}] as family,
                -- Milliseconds, like the timestamps the server writes (JavaScript Dates).
                date_trunc('milliseconds', timestamptz '2019-01-01 00:00:00+00' + (i::float8 / $1) * interval '2500 days' + random() * interval '10 minutes') as created
         from generate_series(1, $1::int) as i
       )
       insert into users (org_id, id, user_name, external_id, active, data, credential_status, ungrouped_since, version, created_at, modified_at)
       select o.id, gen_random_uuid(), u.user_name, 'hr-' || s.i, s.i % 50 <> 0,
              jsonb_build_object(
                'name', jsonb_build_object('givenName', s.given, 'familyName', s.family, 'formatted', s.given || ' ' || s.family),
                'displayName', s.given || ' ' || s.family,
                'emails', jsonb_build_array(jsonb_build_object('value', u.user_name, 'type', 'work', 'primary', true))),
              case when s.i % 5 = 0 then 'active' else 'none' end,
              case when s.member then null else s.created end,
              1, s.created, date_trunc('milliseconds', s.created + random() * (now() - s.created) * 0.3)
       from source s
       join bench_orgs o on o.n = s.n
       cross join lateral (select translate(lower(s.given || '.' || s.family), 'åäöé', 'aaoe') || '.' || s.i || '@' || o.domain as user_name) u`,
      [users, bigBlock, others, bigOrgUsers, MEMBER_SHARE_PERCENT],
    ));

    await step('user_names registry', () => client.query(
      `insert into user_names (lower_name, org_id, user_id) select lower(user_name), org_id, id from users`,
    ));

    const bigOrgId = created[0];
    const groupOf = async (code: string) => (await client.query(`select id from groups where org_id = $1 and service_code = $2`, [bigOrgId, code])).rows[0].id as string;
    const bigGroupId = await groupOf('studietider-och-utbildningar');
    const smallGroupId = await groupOf('studeranderapportering');

    const memberships = await step('memberships', async () => {
      const tenant = await client.query(
        `insert into memberships (org_id, group_id, user_id, created_at)
         select u.org_id, o.group_id, u.id, u.created_at + interval '1 day'
         from users u join bench_orgs o on o.id = u.org_id
         where u.ungrouped_since is null`,
      );
      const small = await client.query(
        `insert into memberships (org_id, group_id, user_id, created_at)
         select org_id, $2, id, created_at + interval '2 days'
         from users where org_id = $1 and ungrouped_since is null
         order by created_at, id limit ${SMALL_GROUP_MEMBERS}`,
        [bigOrgId, smallGroupId],
      );
      return (tenant.rowCount ?? 0) + (small.rowCount ?? 0);
    });

    await step('vacuum analyze', () => client.query('vacuum (analyze) users, user_names, memberships, groups, organisations'));

    const spareUserIds = (await client.query(
      `select id from users where org_id = $1 and ungrouped_since is not null order by created_at, id limit ${spare}`, [bigOrgId],
    )).rows.map((r: { id: string }) => r.id);
    const samples = (await client.query(
      `select id, user_name as "userName" from users where org_id = $1 order by random() limit ${SAMPLE_USERS}`, [bigOrgId],
    )).rows as { id: string; userName: string }[];

    const manifest: Manifest = {
      database: name,
      databaseUrl: url,
      generatedAt: new Date().toISOString(),
      sizes: { users, orgs, bigOrgUsers, spareUsers: spareUserIds.length, memberships },
      timingsMs: timings,
      bigOrgId,
      writeOrgId: created[1],
      bigGroupId,
      smallGroupId,
      spareUserIds,
      samples,
    };
    const manifestPath = options.manifestPath ?? DEFAULT_MANIFEST;
    fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const total = Object.values(timings).reduce((a, b) => a + b, 0);
    log(`  ${'total'.padEnd(34)} ${(total / 1000).toFixed(1).padStart(7)} s   manifest: ${path.relative(process.cwd(), manifestPath)}`);
    return manifest;
  } finally {
    await client.end().catch(() => undefined);
    await db.destroy();
  }
}

export async function dropDatabase(name: string, server = serverUrl()): Promise<void> {
  const admin = new pg.Client({ connectionString: maintenanceUrl(server) });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${checkDatabaseName(name)} with (force)`);
  } finally {
    await admin.end();
  }
}

export function readManifest(file = DEFAULT_MANIFEST): Manifest {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${value}"`);
  return n;
}

export function generateOptionsFromArgs(values: Record<string, string | boolean | undefined>, defaults: { users: number; orgs: number; bigOrgUsers: number }): GenerateOptions {
  return {
    database: (values.db as string | undefined) ?? 'idm_bench',
    users: positiveInt(values.users as string | undefined, 'users', defaults.users),
    orgs: positiveInt(values.orgs as string | undefined, 'orgs', defaults.orgs),
    bigOrgUsers: positiveInt(values['big-org-users'] as string | undefined, 'big-org-users', defaults.bigOrgUsers),
    manifestPath: values.manifest as string | undefined,
  };
}

export const GENERATE_ARGS = {
  db: { type: 'string' },
  users: { type: 'string' },
  orgs: { type: 'string' },
  'big-org-users': { type: 'string' },
  manifest: { type: 'string' },
} as const;

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { values } = parseArgs({ options: GENERATE_ARGS, allowPositionals: false });
  generate(generateOptionsFromArgs(values, { users: 1_000_000, orgs: 1000, bigOrgUsers: 100_000 })).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
