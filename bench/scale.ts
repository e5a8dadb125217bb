// Issue 11 item 3: costs that must stay flat as one organisation grows. For each size (1,000,
// 10,000 and 100,000 users in ONE organisation) a database of its own is generated and a server of
// ours started on it; each request kind is then sent a fixed number of times at low concurrency,
// the repetitions alternating between the sizes. The server's CPU per request is read from
// /proc/<pid>/stat of its node process, the database's from /proc/<pid>/stat of the PostgreSQL
// client backends connected to that database (pg_stat_statements needs shared_preload_libraries,
// which the shared server does not load; autovacuum workers are left out, their work is
// amortised over many writes and would land on whichever run they happen to start in). Users a
// kind creates are deleted after each repetition, so each organisation keeps its size.
//
//   node --import tsx bench/run.ts --scale [--sizes 1000,10000,100000] [--requests 300] [--reps 3] [--only post,page-index]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { exportJWK, generateKeyPair } from 'jose';
import { openDb } from '../src/store/db.ts';
import { loadConfig } from '../src/config/config.ts';
import { loadOrCreateSigningKey } from '../src/auth/signing-key.ts';
import { issueToken } from '../src/domain/token-issuer.ts';
import { createRepositories } from '../src/store/repositories.ts';
import { TOKEN_LEEWAY_SECONDS } from '../src/app.ts';
import { dropDatabase, generate, SPARE_USERS, type Manifest } from './generate.ts';
import { startNode, type NodeProcess } from './lib/processes.ts';
import { cpuDelta, cpuMs, cpuMsOf } from './lib/proc.ts';
import { median } from './lib/stats.ts';
import type { Row } from './scenarios.ts';
import { explainScenarios, type ExplainTokens } from './explain.ts';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

export interface ScaleOptions {
  sizes: number[];
  /** Requests per repetition of each kind (Bulk: operations, sent 100 to a request). */
  requests: number;
  reps: number;
  /** Requests in flight at once. */
  concurrency: number;
  keep: boolean;
  /** EXPLAIN (ANALYZE, BUFFERS) of the statements behind each kind, at the largest size. */
  explain: boolean;
  /** Only these kinds (ids), all when undefined. */
  kinds?: string[];
  /** Databases are named <prefix>_<size>. */
  dbPrefix: string;
  log: (line: string) => void;
}

interface Kind {
  id: string;
  label: string;
  /** Largest ÷ smallest organisation, per request, server and database CPU alike. */
  flat: number;
  /** A ceiling on the database CPU per request (ms). */
  pgCeiling?: number;
  /** The requests of one repetition; `i` counts requests, `rep` repetitions. */
  request: (s: SizeState, i: number, rep: number) => { method: string; path: string; body?: unknown; ok: number };
  /** Operations per request (Bulk). */
  ops?: number;
  /** Users this kind creates, removed after each repetition. */
  creates?: (s: SizeState, rep: number) => string;
}

interface SizeState {
  size: number;
  manifest: Manifest;
  url: string;
  headers: Record<string, string>;
  runId: string;
  /** Cursor of the second page (keyset path plus COUNT). */
  cursor2: string;
}

const user = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [CORE_USER], userName, name: { givenName: 'Skala', familyName: 'Användare' }, displayName: 'Skala Användare',
  emails: [{ value: userName, type: 'work', primary: true }], active: true, ...extra,
});

const KINDS: Kind[] = [
  {
    id: 'post', label: 'POST /Users (no externalId)', flat: 1.2,
    creates: (s, rep) => `scale.${s.runId}.post.${rep}.`,
    request: (s, i, rep) => ({ method: 'POST', path: '/scim/v2/Users', body: user(`scale.${s.runId}.post.${rep}.${i}@skala.exempel.se`), ok: 201 }),
  },
  {
    id: 'post-ext', label: 'POST /Users (with externalId)', flat: 1.2,
    creates: (s, rep) => `scale.${s.runId}.postx.${rep}.`,
    request: (s, i, rep) => ({ method: 'POST', path: '/scim/v2/Users', body: user(`scale.${s.runId}.postx.${rep}.${i}@skala.exempel.se`, { externalId: `x-${s.runId}-${rep}-${i}` }), ok: 201 }),
  },
  {
    id: 'bulk', label: '/Bulk, 100 POST /Users a request — per operation', flat: 1.2, ops: 100,
    creates: (s, rep) => `scale.${s.runId}.bulk.${rep}.`,
    request: (s, i, rep) => ({
      method: 'POST', path: '/scim/v2/Bulk', ok: 200,
      body: {
        schemas: [BULK_REQUEST],
        Operations: Array.from({ length: 100 }, (_, k) => ({ method: 'POST', path: '/Users', bulkId: `b${k}`, data: user(`scale.${s.runId}.bulk.${rep}.${i}.${k}@skala.exempel.se`) })),
      },
    }),
  },
  {
    id: 'page-index', label: 'GET /Users?startIndex=1&count=100 (with totalResults)', flat: 1.5, pgCeiling: 3,
    request: () => ({ method: 'GET', path: '/scim/v2/Users?startIndex=1&count=100', ok: 200 }),
  },
  {
    id: 'page-cursor', label: 'GET /Users?cursor=…&count=100 (second page, with totalResults)', flat: 1.5, pgCeiling: 3,
    request: (s) => ({ method: 'GET', path: `/scim/v2/Users?cursor=${encodeURIComponent(s.cursor2)}&count=100`, ok: 200 }),
  },
  {
    id: 'patch-user', label: 'PATCH /Users/{id} (replace title)', flat: 1.2,
    request: (s, i, rep) => ({
      method: 'PATCH', path: `/scim/v2/Users/${s.manifest.samples[i % s.manifest.samples.length].id}`, ok: 200,
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `Titel ${rep}.${i}` }] },
    }),
  },
  {
    id: 'put-user', label: 'PUT /Users/{id}', flat: 1.2,
    request: (s, i, rep) => {
      const u = s.manifest.samples[(i + 1000) % s.manifest.samples.length];
      return { method: 'PUT', path: `/scim/v2/Users/${u.id}`, ok: 200, body: user(u.userName, { title: `Put ${rep}.${i}` }) };
    },
  },
  {
    id: 'members', label: 'PATCH /Groups/{id}: add, then remove, one member of the organisation-wide group', flat: 1.2,
    request: (s, i) => {
      const id = s.manifest.spareUserIds[Math.floor(i / 2) % s.manifest.spareUserIds.length];
      const op = i % 2 ? { op: 'remove', path: `members[value eq "${id}"]` } : { op: 'add', path: 'members', value: [{ value: id }] };
      return { method: 'PATCH', path: `/scim/v2/Groups/${s.manifest.bigGroupId}`, ok: 204, body: { schemas: [PATCH_OP], Operations: [op] } };
    },
  },
];

const kindsOf = (o: ScaleOptions) => KINDS.filter((k) => !o.kinds || o.kinds.includes(k.id));

async function backendPids(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`)).rows.map((r: { pid: number }) => r.pid);
  } finally {
    await client.end();
  }
}

async function send(base: string, headers: Record<string, string>, r: { method: string; path: string; body?: unknown; ok: number }): Promise<string> {
  const res = await fetch(`${base}${r.path}`, {
    method: r.method,
    headers: r.body === undefined ? headers : { ...headers, 'content-type': 'application/scim+json' },
    body: r.body === undefined ? undefined : JSON.stringify(r.body),
  });
  const text = await res.text();
  if (res.status !== r.ok) throw new Error(`${r.method} ${r.path.slice(0, 80)}: ${res.status}, expected ${r.ok}: ${text.slice(0, 300)}`);
  // A Bulk response is 200 whatever its operations did.
  if (r.method === 'POST' && r.path.endsWith('/Bulk') && /"status":"(?!201)/.test(text)) throw new Error(`Bulk: an operation failed: ${text.slice(0, 300)}`);
  return text;
}

/** `n` requests, `concurrency` at a time; the CPU the server and the database backends used meanwhile. */
async function measure(s: SizeState, pid: number, kind: Kind, rep: number, n: number, concurrency: number): Promise<{ server: number; db: number }> {
  const pgBefore = cpuMsOf(await backendPids(s.manifest.databaseUrl));
  const before = cpuMs(pid);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) await send(s.url, s.headers, kind.request(s, i, rep));
  }));
  const after = cpuMs(pid);
  const pgAfter = cpuMsOf(await backendPids(s.manifest.databaseUrl));
  const operations = n * (kind.ops ?? 1);
  return { server: (after - before) / operations, db: cpuDelta(pgBefore, pgAfter) / operations };
}

/**
 * The spare users, whom the membership kind adds to a group, get credentials first: a first
 * grant hashes a one-time password (scrypt, tens of milliseconds), which would weigh on whichever
 * repetition happened to make it, and belongs to the credentials' cost, not to membership.
 */
async function withCredentials(m: Manifest): Promise<void> {
  const client = new pg.Client({ connectionString: m.databaseUrl });
  await client.connect();
  try {
    await client.query(`update users set credential_status = 'active' where org_id = $1 and id = any($2::uuid[]) and credential_status = 'none'`, [m.bigOrgId, m.spareUserIds]);
  } finally {
    await client.end();
  }
}

async function removeCreated(url: string, orgId: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('delete from users where org_id = $1 and user_name like $2', [orgId, `${prefix}%`]);
    await client.query('delete from user_names where org_id = $1 and lower_name like $2', [orgId, `${prefix}%`]);
  } finally {
    await client.end();
  }
}

export async function runScale(o: ScaleOptions): Promise<{ rows: Row[]; text: string }> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-scale-'));
  const runId = crypto.randomBytes(3).toString('hex');
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'idm-scale', alg: 'ES256' });
  const key = await loadOrCreateSigningKey(tmpDir, jwk);
  const config = loadConfig({});
  let plans = '';
  const figures = new Map<string, { server: number; db: number; runs: { server: number[]; db: number[] } }>();
  const started: { s: SizeState; server: NodeProcess; tokens: ExplainTokens }[] = [];
  try {
    // Every size's database and server first, so that each figure's repetitions can alternate
    // between the sizes: load from other work on the machine then falls on all of them alike.
    for (const size of o.sizes) {
      const database = `${o.dbPrefix}_${size}`;
      // One organisation of `size` users (its big group plus the spare users) and a second, small one.
      const manifest = await generate({ database, users: size + 100, orgs: 2, bigOrgUsers: size - SPARE_USERS, manifestPath: path.join(tmpDir, `${size}.json`), log: o.log });
      const db = openDb({ databaseUrl: manifest.databaseUrl, poolMax: 2 });
      const settings = { issuer: config.issuer, audience: config.audience, leewaySeconds: TOKEN_LEEWAY_SECONDS };
      const issue = async (role: 'admin' | 'provisioner' | 'operator', orgId?: string) => (await issueToken(createRepositories(db), { key, settings }, { role, subject: `scale-${role}`, orgId, ttlSeconds: 6 * 3600 }, {
        principal: { role: 'operator', subject: 'idm:scale', orgId: undefined, jti: 'idm:scale', expiresAt: 0 }, requestId: 'scale', now: new Date(),
      })).token;
      const token = await issue('provisioner', manifest.bigOrgId);
      // The writes of the EXPLAIN go to the measured organisation too.
      const tokens: ExplainTokens = { provisioner: token, writer: token, admin: await issue('admin', manifest.bigOrgId), operator: await issue('operator') };
      await db.destroy();
      const server = await startNode('src/server.ts', { DATABASE_URL: manifest.databaseUrl, DATA_DIR: path.join(tmpDir, `data-${size}`), LOG_LEVEL: 'warn', IDM_SIGNING_KEY: jwk }, path.join(tmpDir, `server-${size}.log`));
      await withCredentials(manifest);
      const headers = { authorization: `Bearer ${token}` };
      started.push({ s: { size, manifest, url: server.url, headers, runId, cursor2: '' }, server, tokens });
      const first = JSON.parse(await send(server.url, headers, { method: 'GET', path: '/scim/v2/Users?cursor=&count=100', ok: 200 })) as { nextCursor: string; totalResults: number };
      started.at(-1)!.s.cursor2 = first.nextCursor;
      o.log(`== ${size.toLocaleString('en')} users: the organisation has ${first.totalResults.toLocaleString('en')}`);
    }
    for (const kind of kindsOf(o)) {
      // Bulk: five times the operations, so its PostgreSQL CPU spans enough 10 ms ticks to compare.
      const n = kind.ops ? Math.max(2, Math.round((o.requests * 5) / kind.ops)) : o.requests;
      const runs = new Map(o.sizes.map((size) => [size, { server: [] as number[], db: [] as number[] }]));
      for (let rep = -1; rep < o.reps; rep++) {
        // rep -1 is the warm-up: plans cached, connections open, JIT settled.
        for (const { s, server } of rep % 2 ? started : [...started].reverse()) {
          const m = await measure(s, server.pid, kind, rep, rep < 0 ? Math.min(n, 50) : n, o.concurrency);
          if (kind.creates) await removeCreated(s.manifest.databaseUrl, s.manifest.bigOrgId, kind.creates(s, rep));
          if (rep < 0) continue;
          runs.get(s.size)!.server.push(m.server);
          runs.get(s.size)!.db.push(m.db);
        }
      }
      o.log(`  ${kind.label}`);
      for (const [size, r] of runs) {
        const f = { server: median(r.server), db: median(r.db), runs: r };
        figures.set(`${kind.id}.${size}`, f);
        o.log(`    @${size}: server ${f.server.toFixed(3)} ms, PostgreSQL ${f.db.toFixed(3)} ms (runs: ${r.server.map((v) => v.toFixed(2)).join(' ')} / ${r.db.map((v) => v.toFixed(2)).join(' ')})`);
      }
    }
    const largest = started.find((x) => x.s.size === Math.max(...o.sizes));
    if (o.explain && largest) {
      o.log('EXPLAIN of the statements behind each kind, at the largest size');
      plans = await explainScenarios(largest.s.manifest, jwk, largest.tokens, ['users-post', 'bulk', 'scale-pages', 'scale-user-writes', 'group-patch'], 100, 100)
        .catch((err: Error) => `EXPLAIN failed: ${err.message}`);
    }
  } finally {
    await Promise.all(started.map((x) => x.server.stop()));
    if (!o.keep) for (const x of started) await dropDatabase(x.s.manifest.database);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  const result = report(o, figures);
  return { rows: result.rows, text: plans ? `${result.text}\n\n${plans}` : result.text };
}

function report(o: ScaleOptions, figures: Map<string, { server: number; db: number; runs: { server: number[]; db: number[] } }>): { rows: Row[]; text: string } {
  const small = Math.min(...o.sizes);
  const large = Math.max(...o.sizes);
  const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(v < 10 ? 3 : 1));
  const rows: Row[] = [];
  const lines = [
    `| request | ${o.sizes.map((n) => `server ms @${k(n)}`).join(' | ')} | ${o.sizes.map((n) => `PostgreSQL ms @${k(n)}`).join(' | ')} | ${k(large)} ÷ ${k(small)} (server, PostgreSQL) | target | met? |`,
    `|---|${o.sizes.map(() => '--:|').join('')}${o.sizes.map(() => '--:|').join('')}---|---|---|`,
  ];
  for (const kind of kindsOf(o)) {
    const at = (n: number) => figures.get(`${kind.id}.${n}`);
    const ratio = (f: 'server' | 'db') => (at(large)?.[f] ?? NaN) / (at(small)?.[f] ?? NaN);
    const rs = ratio('server');
    const rd = ratio('db');
    const ceiling = kind.pgCeiling === undefined || (at(large)?.db ?? Infinity) <= kind.pgCeiling;
    const met = Number.isFinite(rs) && Number.isFinite(rd) ? rs <= kind.flat && rd <= kind.flat && ceiling : null;
    const target = `≤ ${kind.flat} ×${kind.pgCeiling ? `, PostgreSQL ≤ ${kind.pgCeiling} ms` : ''}`;
    lines.push(`| ${kind.label} | ${o.sizes.map((n) => fmt(at(n)?.server)).join(' | ')} | ${o.sizes.map((n) => fmt(at(n)?.db)).join(' | ')} | ${rs.toFixed(2)} ×, ${rd.toFixed(2)} × | ${target} | ${met === null ? '—' : met ? 'met' : '**missed**'} |`);
    for (const n of o.sizes) {
      const f = at(n);
      rows.push({ key: `scale.${kind.id}.${n}`, scenario: `${kind.label} @${k(n)} users — server CPU`, unit: 'ms', ours: f?.server ?? null, floor: null, ratio: null, target: '', met: null, runs: f ? { ours: f.runs.server, floor: [] } : undefined });
      rows.push({ key: `scale.${kind.id}.${n}.pg`, scenario: `${kind.label} @${k(n)} users — PostgreSQL CPU`, unit: 'ms', ours: f?.db ?? null, floor: null, ratio: null, target: '', met: null, runs: f ? { ours: f.runs.db, floor: [] } : undefined });
    }
    rows.push({ key: `scale.${kind.id}.ratio`, scenario: `${kind.label}: ${k(large)} ÷ ${k(small)} (worse of server and PostgreSQL)`, unit: '×', ours: Math.max(rs, rd), floor: null, ratio: null, target, met });
  }
  return { rows, text: lines.join('\n') };
}
