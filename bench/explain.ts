// EXPLAIN (ANALYZE, BUFFERS) of the statements one benchmark scenario's requests send. The
// project's own app (buildApp) serves the requests in this process on a knex instance whose
// queries are recorded; the recorded statements are then replayed, in order, each under EXPLAIN
// ANALYZE, inside one transaction that is rolled back. So the plans are those of the exact SQL
// the server runs, on the benchmark's data.
import http from 'node:http';
import type net from 'node:net';
import pino from 'pino';
import pg from 'pg';
// node-postgres's own conversion of a binding to its text form (Dates, arrays, objects as JSON).
// @ts-expect-error -- pg/lib/utils has no type declarations
import pgUtils from 'pg/lib/utils.js';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { loadOrCreateSigningKey } from '../src/auth/signing-key.ts';
import { openDb } from '../src/store/db.ts';
import { encodeCursor, queryFingerprint } from '../src/scim/cursor.ts';
import type { Manifest } from './generate.ts';
import { msSince } from './lib/stats.ts';

export interface ExplainTokens {
  provisioner: string;
  admin: string;
  writer: string;
  operator: string;
}

interface Step {
  method: string;
  path: string;
  token: keyof ExplainTokens;
  body?: unknown;
}

/** The users the explained write requests create are named with this, so the replay can remove them first. */
const STAMP = `explain.${Date.now()}`;

interface Statement {
  sql: string;
  bindings: unknown[];
  request: number;
}

const prepareValue = (pgUtils as { prepareValue: (value: unknown) => unknown }).prepareValue;

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The requests each scenario (by row key prefix) sends, in the big organisation unless written. */
async function stepsFor(scenario: string, m: Manifest, pagingDepth: number, pageCount: number, client: pg.Client): Promise<Step[] | undefined> {
  const user = m.samples[0];
  const patch = (group: string, op: 'add' | 'remove', id: string): Step => ({
    method: 'PATCH', path: `/scim/v2/Groups/${group}`, token: 'provisioner',
    body: { schemas: [PATCH_OP], Operations: [op === 'add' ? { op, path: 'members', value: [{ value: id }] } : { op, path: `members[value eq "${id}"]` }] },
  });
  switch (scenario) {
    case 'users-filter':
      return [{ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`, token: 'provisioner' }];
    case 'users-id':
      return [{ method: 'GET', path: `/scim/v2/Users/${user.id}`, token: 'provisioner' }];
    case 'users-post': {
      const userName = `${STAMP}.post@bench.exempel.se`;
      return [{ method: 'POST', path: '/scim/v2/Users', token: 'writer', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, name: { givenName: 'E', familyName: 'X' }, emails: [{ value: userName, type: 'work' }] } }];
    }
    case 'group-patch':
      return [patch(m.bigGroupId, 'add', m.spareUserIds[0]), patch(m.bigGroupId, 'remove', m.spareUserIds[0]), patch(m.smallGroupId, 'add', m.spareUserIds[0]), patch(m.smallGroupId, 'remove', m.spareUserIds[0])];
    case 'group-get-excluded':
      return [m.bigGroupId, m.smallGroupId].map((g) => ({ method: 'GET', path: `/scim/v2/Groups/${g}?excludedAttributes=members`, token: 'provisioner' }));
    case 'group-members':
      return [{ method: 'GET', path: `/scim/v2/Groups/${m.bigGroupId}`, token: 'provisioner' }];
    case 'paging': {
      // The cursor the server would have issued for the page ending at the depth (RFC 9865 cursors are stateless).
      const at = (await client.query(`select created_at, id from users where org_id = $1 order by created_at, id offset $2 limit 1`, [m.bigOrgId, pagingDepth - 1])).rows[0];
      const cursor = encodeCursor({ value: at.created_at, id: at.id }, queryFingerprint(['User', null, null, 'ascending']), new Date());
      return [
        { method: 'GET', path: `/scim/v2/Users?cursor=&count=${pageCount}`, token: 'provisioner' },
        { method: 'GET', path: `/scim/v2/Users?cursor=${cursor}&count=${pageCount}`, token: 'provisioner' },
        { method: 'GET', path: `/scim/v2/Users?startIndex=${pagingDepth + 1}&count=${pageCount}`, token: 'provisioner' },
      ];
    }
    case 'scale-pages': {
      // Issue 11: the pages the web pages will list users with, 100 at a time.
      const second = (await client.query(`select created_at, id from users where org_id = $1 order by created_at, id offset 99 limit 1`, [m.bigOrgId])).rows[0];
      const cursor = encodeCursor({ value: second.created_at, id: second.id }, queryFingerprint(['User', null, null, 'ascending']), new Date());
      return [
        { method: 'GET', path: '/scim/v2/Users?startIndex=1&count=100', token: 'provisioner' },
        { method: 'GET', path: `/scim/v2/Users?cursor=${cursor}&count=100`, token: 'provisioner' },
      ];
    }
    case 'scale-user-writes': {
      const target = m.samples[1];
      return [
        { method: 'PATCH', path: `/scim/v2/Users/${target.id}`, token: 'provisioner', body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `Explain ${STAMP}` }] } },
        {
          method: 'PUT', path: `/scim/v2/Users/${target.id}`, token: 'provisioner',
          body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: target.userName, name: { givenName: 'E', familyName: 'X' }, title: `Put ${STAMP}` },
        },
      ];
    }
    case 'csv':
      return [{ method: 'GET', path: '/api/v1/users.csv', token: 'admin' }];
    case 'bulk': {
      const Operations = Array.from({ length: 20 }, (_, i) => {
        const userName = `${STAMP}.bulk.${i}@bench.exempel.se`;
        return { method: 'POST', path: '/Users', bulkId: `b${i}`, data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName } };
      });
      return [{ method: 'POST', path: '/scim/v2/Bulk', token: 'writer', body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations } }];
    }
    case 'import': {
      // One batch of `idm import` as the CLI sends it (operator API), 50 rows, half granting a service.
      const rows = Array.from({ length: 50 }, (_, i) => ({
        line: i + 2, userName: `${STAMP}.import.${i}@bench.exempel.se`, givenName: 'Import', familyName: 'X', active: 'true',
        ...(i % 2 ? { services: ['studietider-och-utbildningar'] } : {}),
      }));
      return [{ method: 'POST', path: `/admin/v1/organisations/${m.writeOrgId}/import`, token: 'operator', body: { rules: 'operator', rows } }];
    }
    default:
      return undefined;
  }
}

/**
 * Markdown with the EXPLAIN output of each scenario in `scenarios` (row key prefixes such as
 * `users-filter`); scenarios with nothing to explain in SQL are skipped.
 */
export async function explainScenarios(m: Manifest, signingKeyJwk: string, tokens: ExplainTokens, scenarios: string[], pagingDepth: number, pageCount: number): Promise<string> {
  const config = { ...loadConfig({}), databaseUrl: m.databaseUrl, logLevel: 'silent' };
  const key = await loadOrCreateSigningKey('/nonexistent', signingKeyJwk);
  const db = openDb({ databaseUrl: m.databaseUrl, poolMax: 4 });
  const statements: Statement[] = [];
  let request = -1;
  db.on('query', (q: { sql: string; bindings?: unknown[] }) => {
    if (request >= 0 && !/^(begin|commit|rollback|savepoint|release)\b/i.test(q.sql.trim())) statements.push({ sql: q.sql, bindings: q.bindings ?? [], request });
  });
  const app = buildApp({ db, config, key, log: pino({ level: 'silent' }), now: () => new Date() });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const client = new pg.Client({ connectionString: m.databaseUrl });
  await client.connect();
  const out: string[] = [];
  try {
    for (const scenario of scenarios) {
      const steps = await stepsFor(scenario, m, pagingDepth, pageCount, client);
      if (!steps) continue;
      statements.length = 0;
      const timings: string[] = [];
      for (const [i, step] of steps.entries()) {
        // An unrecorded request first, so that caches of tokens and organisations are as warm as under load.
        const warm = step.token === 'operator' ? `/admin/v1/organisations/${m.writeOrgId}` : '/scim/v2/Users?count=0';
        await (await fetch(`${base}${warm}`, { headers: { authorization: `Bearer ${tokens[step.token]}` } })).arrayBuffer();
        request = i;
        const started = process.hrtime.bigint();
        const res = await fetch(`${base}${step.path}`, {
          method: step.method,
          headers: { authorization: `Bearer ${tokens[step.token]}`, ...(step.body ? { 'content-type': 'application/scim+json' } : {}) },
          body: step.body ? JSON.stringify(step.body) : undefined,
        });
        const bytes = (await res.arrayBuffer()).byteLength;
        timings.push(`${step.method} ${step.path.slice(0, 120)} → ${res.status}, ${bytes.toLocaleString('en')} bytes, ${msSince(started).toFixed(1)} ms in-process, ${statements.filter((s) => s.request === i).length} statements`);
        request = -1;
      }
      out.push(`### EXPLAIN: ${scenario}`, '', ...timings.map((t) => `- ${t}`), '', await replay(client, statements, steps), '');
    }
  } finally {
    await client.end();
    await new Promise((resolve) => server.close(resolve));
    await db.destroy();
  }
  return out.join('\n');
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of `sql` as a prepared statement under its generic plan, the plan a
 * named statement settles on after five executions (and the one whose cost does not depend on
 * the values): PREPARE, then EXECUTE with the bindings as literals under
 * plan_cache_mode = force_generic_plan. A statement without bindings is explained as it is.
 */
async function explainGeneric(client: pg.Client, sql: string, bindings: unknown[]): Promise<{ 'QUERY PLAN': string }[]> {
  if (bindings.length === 0) return (await client.query(`explain (analyze, buffers) ${sql}`)).rows;
  const literal = (value: unknown) => {
    const v = prepareValue(value) as string | Buffer | null;
    if (v === null || v === undefined) return 'null';
    return client.escapeLiteral(Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v);
  };
  await client.query('set local plan_cache_mode = force_generic_plan');
  await client.query(`prepare idm_explain as ${sql}`);
  try {
    return (await client.query(`explain (analyze, buffers) execute idm_explain(${bindings.map(literal).join(', ')})`)).rows;
  } finally {
    await client.query('deallocate idm_explain');
  }
}

/** Replays the statements in one rolled-back transaction, each under EXPLAIN ANALYZE; identical SQL texts are shown once. */
async function replay(client: pg.Client, statements: Statement[], steps: Step[]): Promise<string> {
  const seen = new Map<string, { count: number; ms: number; plan?: string; bindings: unknown[]; request: number }>();
  let planning = 0;
  let execution = 0;
  await client.query('begin');
  try {
    // The requests were served for real: users they created are taken away again (inside this
    // transaction, which is rolled back) so the replay meets the state the requests met.
    await client.query(`delete from users where user_name like $1`, [`${STAMP}.%`]);
    await client.query(`delete from user_names where lower_name like $1`, [`${STAMP}.%`]);
    for (const s of statements) {
      const entry = seen.get(s.sql) ?? { count: 0, ms: 0, bindings: s.bindings, request: s.request };
      entry.count++;
      seen.set(s.sql, entry);
      try {
        const rows = await explainGeneric(client, s.sql, s.bindings);
        const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
        const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
        entry.ms += ms;
        execution += ms;
        planning += Number(/Planning Time: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
        entry.plan ??= plan;
      } catch (err) {
        entry.plan ??= `(replay failed: ${(err as Error).message})`;
        break;
      }
    }
  } finally {
    await client.query('rollback');
  }
  const parts: string[] = [
    `Replayed: ${statements.length} statements (${seen.size} distinct), ${planning.toFixed(1)} ms planning and ${execution.toFixed(1)} ms execution in PostgreSQL in all.`,
    '',
  ];
  for (const [sql, e] of seen) {
    const bindings = JSON.stringify(e.bindings.map((b) => (typeof b === 'string' && b.length > 80 ? `${b.slice(0, 80)}…` : b))).slice(0, 400);
    parts.push(
      `Request ${e.request + 1} (${steps[e.request]?.method} ${steps[e.request]?.path.split('?')[0]}), ×${e.count}, ${e.ms.toFixed(3)} ms execution in total:`,
      '',
      '```sql',
      sql,
      `-- bindings: ${bindings}`,
      '```',
      '',
      '```',
      e.plan ?? '',
      '```',
      '',
    );
  }
  return parts.join('\n');
}
