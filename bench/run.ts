// The benchmark runner of issue 6: loads a data set (bench/generate.ts), starts our server
// (src/server.ts) and the floor (bench/floor.ts) as separate processes on 127.0.0.1, runs every
// scenario against both in the same run (bench/scenarios.ts), prints the table and appends it to
// bench/RESULTS.md.
//
//   npm run bench          quick: 150,000 users, 100 organisations, 8 s per load run, import of 20,000 rows
//   npm run bench:full     1,000,000 users, 1,000 organisations, 30 s per load run, import of 100,000 rows
//
// Options: --reuse (keep the data set of the manifest when its sizes match), --db NAME, --users N,
// --orgs N, --big-org-users N, --duration S, --warmup S, --reps N, --sequential N, --connections
// 16,32, --import-rows N, --import-timeout S, --only a,b (scenario ids), --results FILE | --no-results, --json FILE, --manifest FILE,
// --drop-db (drop the database afterwards), --no-explain, --explain-all (EXPLAIN every scenario,
// not only those that missed a target), --profile (a V8 CPU profile of our server over the run,
// summarised in the report; best with --only), --floor-unprepared (the floor sends its statements
// unnamed, as knex does, instead of preparing them).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { exportJWK, generateKeyPair } from 'jose';
import { openDb } from '../src/store/db.ts';
import { loadConfig } from '../src/config/config.ts';
import { loadOrCreateSigningKey } from '../src/auth/signing-key.ts';
import { issueToken } from '../src/domain/token-issuer.ts';
import { createRepositories } from '../src/store/repositories.ts';
import { TOKEN_LEEWAY_SECONDS } from '../src/app.ts';
import { BENCH_DIR, DEFAULT_MANIFEST, SMALL_GROUP_MEMBERS, dropDatabase, generate, generateOptionsFromArgs, GENERATE_ARGS, readManifest, type Manifest } from './generate.ts';
import { REPO_DIR, startNode, type NodeProcess } from './lib/processes.ts';
import { summariseProfile } from './lib/cpu-profile.ts';
import { MB, rssBytes } from './lib/proc.ts';
import type { Target } from './lib/http.ts';
import { msSince } from './lib/stats.ts';
import * as scenarios from './scenarios.ts';
import type { BenchContext, BenchSettings, Row } from './scenarios.ts';
import { appendResults, codeRevision, machineInfo, markdownSection, table } from './report.ts';
import { explainScenarios, type ExplainTokens } from './explain.ts';
import { runScale } from './scale.ts';
import { runPeer } from './side-by-side.ts';
import { runEventsBench } from './events.ts';
import { serverUrl } from './lib/pg-url.ts';

const MODES = {
  quick: { users: 150_000, orgs: 100, bigOrgUsers: 100_000, durationSeconds: 8, warmupSeconds: 2, sequential: 100, importRows: 20_000, importTimeoutSeconds: 90 },
  full: { users: 1_000_000, orgs: 1000, bigOrgUsers: 100_000, durationSeconds: 30, warmupSeconds: 5, sequential: 200, importRows: 100_000, importTimeoutSeconds: 600 },
};

/** Scenario ids for --only, in the order they run: reads first, then the writes, which add users. */
const SCENARIOS: [string, (ctx: BenchContext) => Promise<Row[]> | Row[]][] = [
  ['users-filter', scenarios.usersFilter],
  ['users-id', scenarios.usersById],
  ['web-users-page', scenarios.webUsersPage],
  ['group-get-excluded', scenarios.groupExcludedMembers],
  ['group-members', scenarios.groupAllMembers],
  ['paging', scenarios.paging],
  ['csv', scenarios.usersCsv],
  ['group-patch', scenarios.groupPatch],
  ['patch-bounds', scenarios.patchBounds],
  ['users-post', scenarios.usersPost],
  ['bulk', scenarios.bulk],
  ['import', scenarios.idmImport],
];

const ARGS = {
  ...GENERATE_ARGS,
  full: { type: 'boolean' },
  quick: { type: 'boolean' },
  reuse: { type: 'boolean' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  reps: { type: 'string' },
  sequential: { type: 'string' },
  connections: { type: 'string' },
  'import-rows': { type: 'string' },
  'import-timeout': { type: 'string' },
  only: { type: 'string' },
  results: { type: 'string' },
  'no-results': { type: 'boolean' },
  'no-explain': { type: 'boolean' },
  'explain-all': { type: 'boolean' },
  profile: { type: 'boolean' },
  'floor-unprepared': { type: 'boolean' },
  json: { type: 'string' },
  'drop-db': { type: 'boolean' },
  scale: { type: 'boolean' },
  peer: { type: 'boolean' },
  events: { type: 'boolean' },
  changes: { type: 'string' },
  'peer-users': { type: 'string' },
  sizes: { type: 'string' },
  requests: { type: 'string' },
  concurrency: { type: 'string' },
  keep: { type: 'boolean' },
} as const;

function num(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number, got "${value}"`);
  return n;
}

async function postgresInfo(url: string): Promise<{ version: string; settings: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const version = (await client.query('select version() as v')).rows[0].v as string;
    const settings: string[] = [];
    for (const name of ['shared_buffers', 'work_mem', 'max_connections', 'synchronous_commit']) {
      settings.push(`${name}=${(await client.query(`show ${name}`)).rows[0][name]}`);
    }
    return { version: version.split(' on ')[0], settings: settings.join(', ') };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const loadAtStart = os.loadavg()[0];
  const { values } = parseArgs({ options: ARGS, allowPositionals: false });
  const mode = values.full ? 'full' : 'quick';
  const defaults = MODES[mode];
  const log = (line: string) => console.log(line);
  const manifestPath = values.manifest ?? DEFAULT_MANIFEST;
  if (values.scale) return scaleMain(values, loadAtStart, started);
  if (values.peer) return peerMain(values, loadAtStart, started, defaults);
  if (values.events) {
    // Issue 14: change events' delivery rate and write cost (bench/events.ts), on a database of its own.
    const number = (name: string, fallback: number) => (typeof values[name as keyof typeof values] === 'string' ? Number(values[name as keyof typeof values]) : fallback);
    return runEventsBench({
      changes: number('changes', 10_000), durationSeconds: number('duration', 8), reps: number('reps', 3), connections: Number((values.connections ?? '16').split(',')[0]),
      results: values['no-results'] ? undefined : (values.results ?? path.join(BENCH_DIR, 'RESULTS.md')),
    });
  }

  // 1. The data set.
  const wanted = generateOptionsFromArgs(values, defaults);
  let manifest: Manifest | undefined;
  if (values.reuse && fs.existsSync(manifestPath)) {
    const found = readManifest(manifestPath);
    const same = found.database === wanted.database && found.sizes.users === wanted.users && found.sizes.orgs === wanted.orgs && found.sizes.bigOrgUsers === wanted.bigOrgUsers;
    if (same) manifest = found;
    else log(`--reuse: ${manifestPath} describes another data set; generating`);
  }
  manifest ??= await generate({ ...wanted, manifestPath, log });

  const bigOrgUsers = manifest.sizes.bigOrgUsers;
  const pageCount = Math.min(1000, Math.max(10, Math.floor(bigOrgUsers / 100)));
  const settings: BenchSettings = {
    durationSeconds: num(values.duration, defaults.durationSeconds),
    warmupSeconds: num(values.warmup, defaults.warmupSeconds),
    reps: Math.round(num(values.reps, 3)),
    connections: (values.connections ?? '16,32').split(',').map((c) => Math.round(num(c, 16))),
    postConnections: 16,
    sequential: Math.round(num(values.sequential, defaults.sequential)),
    pageCount,
    // Depth 90,000 of a 100,000-user organisation; proportionally less in a smaller one.
    pagingDepth: Math.min(90_000, Math.floor((bigOrgUsers * 0.9) / pageCount) * pageCount),
    bulkOperations: 1000,
    importRows: Math.round(num(values['import-rows'], defaults.importRows)),
    importTimeoutSeconds: num(values['import-timeout'], defaults.importTimeoutSeconds),
  };

  // 2. A signing key for the server and the tokens an operator issues for the benchmark.
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-bench-'));
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'idm-bench', alg: 'ES256' });
  const key = await loadOrCreateSigningKey(tmpDir, jwk);
  const config = loadConfig({});
  const tokenSettings = { issuer: config.issuer, audience: config.audience, leewaySeconds: TOKEN_LEEWAY_SECONDS };
  const db = openDb({ databaseUrl: manifest.databaseUrl, poolMax: 2 });
  const repos = createRepositories(db);
  const issue = async (role: 'admin' | 'provisioner' | 'operator', orgId?: string) =>
    (await issueToken(repos, { key, settings: tokenSettings }, { role, subject: `bench-${role}`, orgId, ttlSeconds: 6 * 3600 }, {
      principal: { role: 'operator', subject: 'idm:bench', orgId: undefined, jti: 'idm:bench', expiresAt: 0 }, requestId: 'bench', now: new Date(),
    })).token;
  const tokens: ExplainTokens = {
    provisioner: await issue('provisioner', manifest.bigOrgId),
    admin: await issue('admin', manifest.bigOrgId),
    writer: await issue('provisioner', manifest.writeOrgId),
    operator: await issue('operator'),
  };
  // Issue 13's user list page needs an admin with a password, made as an operator would.
  const operatorInBigOrg = await issue('operator', manifest.bigOrgId);
  await db.destroy();

  // 3. Both servers, each its own node process (the pid is node's, not a wrapper's).
  const processes: NodeProcess[] = [];
  const code = codeRevision();
  const stopAll = () => Promise.all(processes.map((p) => p.stop()));
  const onSignal = () => void stopAll().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let rows: Row[] = [];
  const rssTimeline: string[] = [];
  const runId = crypto.randomBytes(4).toString('hex');
  const profileDir = path.join(tmpDir, 'profile');
  try {
    const ours = await startNode('src/server.ts', {
      DATABASE_URL: manifest.databaseUrl, DATA_DIR: path.join(tmpDir, 'data'), LOG_LEVEL: 'warn', IDM_SIGNING_KEY: jwk,
    }, path.join(tmpDir, 'server.log'), values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
    processes.push(ours);
    const floor = await startNode('bench/floor.ts', { DATABASE_URL: manifest.databaseUrl, FLOOR_UNPREPARED: values['floor-unprepared'] ? '1' : '0' }, path.join(tmpDir, 'floor.log'));
    processes.push(floor);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const targets: Record<Target['name'], Target> = {
      ours: { name: 'ours', url: ours.url, pid: ours.pid, read: bearer(tokens.provisioner), write: bearer(tokens.writer) },
      floor: { name: 'floor', url: floor.url, pid: floor.pid, read: { 'x-org-id': manifest.bigOrgId }, write: { 'x-org-id': manifest.writeOrgId } },
    };
    const ctx: BenchContext = {
      manifest,
      ours: targets.ours,
      floor: targets.floor,
      adminHeaders: bearer(tokens.admin),
      operatorHeaders: bearer(tokens.operator),
      operatorInBigOrg: bearer(operatorInBigOrg),
      idmEnv: { IDM_URL: ours.url, IDM_SIGNING_KEY: jwk, DATA_DIR: path.join(tmpDir, 'data'), IDM_OPERATOR: 'idm:bench' },
      // Organisation 1 of the generator is a school, which offers this service to its tenants.
      importService: 'studietider-och-utbildningar',
      settings,
      tmpDir,
      runId,
      log,
    };
    const rss = (label: string) => rssTimeline.push(`${label}: ${(rssBytes(ours.pid) / MB).toFixed(0)} MB / ${(rssBytes(floor.pid) / MB).toFixed(0)} MB`);
    rss('started');
    const only = values.only?.split(',');
    for (const [id, run] of SCENARIOS) {
      if (only && !only.includes(id)) continue;
      log(`== ${id}`);
      const scenarioStarted = process.hrtime.bigint();
      try {
        rows.push(...(await run(ctx)));
      } catch (err) {
        // One broken scenario does not lose the others' figures; the table says it failed.
        log(`   ${id} failed: ${(err as Error).stack ?? err}`);
        rows.push({ key: `${id}.failed`, scenario: id, unit: '', ours: null, floor: null, ratio: null, target: '', met: null, note: `failed: ${(err as Error).message.split('\n')[0].slice(0, 200)}` });
      }
      log(`   (${(msSince(scenarioStarted) / 1000).toFixed(1)} s)`);
      rss(id);
    }
    rows.push(...scenarios.finalRss(ctx));
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  // 4. Report: the table, EXPLAIN of the statements behind each missed target, RESULTS.md.
  rows = rows.map((r) => ({ ...r }));
  log('');
  log(table(rows));
  let explain = '';
  if (values.profile) {
    // Written by node when the server exits (it exits 0 after SIGTERM).
    const file = fs.existsSync(profileDir) ? fs.readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
    explain += file ? `${summariseProfile(path.join(profileDir, file), REPO_DIR)}\n\n` : 'No CPU profile was written.\n\n';
    log(`\n${explain}`);
  }
  const toExplain = [...new Set(rows.filter((r) => r.met === false || values['explain-all']).map((r) => r.key.split('.')[0]))];
  if (toExplain.length && !values['no-explain']) {
    log(`\nEXPLAIN (ANALYZE) of the statements behind: ${toExplain.join(', ')}`);
    explain += await explainScenarios(manifest, jwk, tokens, toExplain, settings.pagingDepth, settings.pageCount)
      .catch((err: Error) => `EXPLAIN failed: ${err.message}`);
  }
  const pgInfo = await postgresInfo(manifest.databaseUrl);
  const seconds = msSince(started) / 1000;
  const s = manifest.sizes;
  const lifecycle = process.env.npm_lifecycle_event;
  const argv = process.argv.slice(2).join(' ');
  const section = markdownSection({
    title: `${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC — ${mode} run`,
    command: `${lifecycle ? `npm run ${lifecycle}` : 'node --import tsx bench/run.ts'}${lifecycle ? ` (node --import tsx bench/run.ts ${argv})` : ` ${argv}`}`.trim(),
    code,
    machine: machineInfo(pgInfo.version, pgInfo.settings, loadAtStart),
    dataset: `${s.users.toLocaleString('en')} users in ${s.orgs.toLocaleString('en')} organisations (database ${manifest.database}); the big organisation has ` +
      `${s.bigOrgUsers.toLocaleString('en')} users in its big group, ${s.spareUsers} in no group, and a ${SMALL_GROUP_MEMBERS}-member group; ` +
      `${s.memberships.toLocaleString('en')} memberships; generated ${manifest.generatedAt} in ${(Object.values(manifest.timingsMs).reduce((a, b) => a + b, 0) / 1000).toFixed(0)} s.`,
    load: `autocannon in its own process, ${settings.durationSeconds} s per run after ${settings.warmupSeconds} s of warm-up, connections ${settings.connections.join(' and ')} ` +
      `(POST: ${settings.postConnections}); ${settings.reps} runs per figure; ${settings.sequential} sequential requests per run in the latency scenarios; ` +
      `cursor pages of ${settings.pageCount}, deep page at ${settings.pagingDepth.toLocaleString('en')}; server pool 10 connections for both; ` +
      `the floor ${values['floor-unprepared'] ? 'sends its statements unnamed (--floor-unprepared)' : 'prepares its statements (named)'}.`,
    rows,
    rssTimeline,
    explain,
    durationSeconds: seconds,
  });
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify({ mode, settings, manifest: { ...manifest, samples: manifest.samples.length }, rows, rssTimeline, explain }, null, 2)}\n`);
  if (!values['no-results']) {
    const file = values.results ?? path.join(BENCH_DIR, 'RESULTS.md');
    appendResults(file, section);
    log(`\nappended to ${path.relative(process.cwd(), file)}`);
  }
  if (explain) log(`\n${explain.split('\n').filter((l) => l.startsWith('###') || l.startsWith('- ')).join('\n')}`);
  if (values['drop-db']) await dropDatabase(manifest.database);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  log(`done in ${seconds.toFixed(0)} s`);
}

/** `--scale`: issue 11's flat-cost rows (bench/scale.ts), in a section of their own. */
async function scaleMain(values: Record<string, string | boolean | undefined>, loadAtStart: number, started: bigint): Promise<void> {
  const log = (line: string) => console.log(line);
  const str = (k: string) => values[k] as string | undefined;
  const options = {
    sizes: (str('sizes') ?? '1000,10000,100000').split(',').map((n) => Math.round(num(n, 1000))),
    requests: Math.round(num(str('requests'), 300)),
    reps: Math.round(num(str('reps'), 3)),
    concurrency: Math.round(num(str('concurrency'), 4)),
    keep: Boolean(values.keep),
    explain: !values['no-explain'],
    kinds: values.only?.toString().split(','),
    dbPrefix: str('db') ?? 'idm_perf_scale',
    log,
  };
  const { rows, text } = await runScale(options);
  log('');
  log(text);
  if (values.json) fs.writeFileSync(values.json as string, `${JSON.stringify({ mode: 'scale', options: { ...options, log: undefined }, rows, text }, null, 2)}\n`);
  const server = serverUrl();
  const pgInfo = await postgresInfo(server);
  const seconds = msSince(started) / 1000;
  const argv = process.argv.slice(2).join(' ');
  const section = markdownSection({
    title: `${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC — scale run (issue 11 item 3)`,
    command: `node --import tsx bench/run.ts ${argv}`,
    code: codeRevision(),
    machine: machineInfo(pgInfo.version, pgInfo.settings, loadAtStart),
    dataset: `one organisation of ${options.sizes.map((n) => n.toLocaleString('en')).join(', ')} users in turn (a database each, generated by bench/generate.ts: all but 100 in one group), and a second organisation of 100.`,
    load: `${options.requests} requests per repetition (Bulk: five times as many operations, 100 a request), ${options.concurrency} in flight, after a warm-up of 50; ` +
      `${options.reps} repetitions, median; CPU from /proc/<pid>/stat of the server and of the PostgreSQL backends of the database; created users deleted after each repetition.`,
    // The per-size figures are in the table below; the section's own table has the verdicts.
    rows: rows.filter((r) => r.key.endsWith('.ratio')),
    rssTimeline: [],
    explain: text,
    durationSeconds: seconds,
  });
  if (!values['no-results']) appendResults(str('results') ?? path.join(BENCH_DIR, 'RESULTS.md'), section);
  log(`done in ${seconds.toFixed(0)} s`);
}

/** `--peer`: issue 11's side-by-side with SCIMMY (bench/side-by-side.ts), in a section of its own. */
async function peerMain(values: Record<string, string | boolean | undefined>, loadAtStart: number, started: bigint, defaults: { durationSeconds: number; warmupSeconds: number }): Promise<void> {
  const log = (line: string) => console.log(line);
  const str = (k: string) => values[k] as string | undefined;
  const options = {
    users: Math.round(num(str('peer-users'), 10_000)),
    durationSeconds: num(str('duration'), defaults.durationSeconds),
    warmupSeconds: num(str('warmup'), defaults.warmupSeconds),
    reps: Math.round(num(str('reps'), 3)),
    connections: Math.round(num(str('connections'), 16)),
    log,
  };
  const { rows, text } = await runPeer(options);
  log('');
  log(text);
  if (values.json) fs.writeFileSync(values.json as string, `${JSON.stringify({ mode: 'peer', options: { ...options, log: undefined }, rows, text }, null, 2)}\n`);
  const seconds = msSince(started) / 1000;
  const section = markdownSection({
    title: `${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC — side by side with SCIMMY (issue 11 item 5)`,
    command: `node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`,
    code: codeRevision(),
    machine: machineInfo('PostgreSQL: ours runs its embedded server (no DATABASE_URL)', 'embedded defaults', loadAtStart),
    dataset: `${options.users.toLocaleString('en')} users in one organisation, created by the seeding POSTs (the same bodies to both).`,
    load: `seeding at 16 connections; lookups of random seeded userNames at ${options.connections} connections, ${options.durationSeconds} s per run after ${options.warmupSeconds} s of warm-up, ` +
      `${options.reps} runs each, alternating which goes first, median; CPU from /proc/<pid>/stat (ours: node and every process below it, i.e. its PostgreSQL).`,
    rows,
    rssTimeline: [],
    explain: text,
    durationSeconds: seconds,
  });
  if (!values['no-results']) appendResults(str('results') ?? path.join(BENCH_DIR, 'RESULTS.md'), section);
  log(`done in ${seconds.toFixed(0)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
