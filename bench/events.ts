// Benchmark of issue 14 (change events, SPEC §6.6), on its own database of the local PostgreSQL
// (or DATABASE_URL's server):
//
//   node --import tsx bench/events.ts [--changes 10000] [--duration 8] [--reps 3] [--connections 16] [--no-results]
//
//   npm run bench -- --events [--changes N] [--duration S] [--reps N] [--connections N] [--no-results]
//
// 1. Delivery: `--changes` users are created (by Bulk) while a push receiver is paused; then it is
//    enabled and the time until a local receiver (in this process, answering 202 to each SET) has
//    them all gives events/s. Target ≥ 2,000 events/s.
// 2. Write cost: POST /Users under autocannon (bench/lib/load-worker.ts, a process of its own) for
//    `--duration` seconds, alternately with no receiver and with one push receiver registered (its
//    SETs delivered by the server while the load runs), `--reps` times each; the ratio of the
//    medians (one ÷ none) is the figure. Target ≥ 0.90.
// The server is src/server.ts as `npm start` runs it, in its own process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { exportJWK, generateKeyPair } from 'jose';
import { readSigningKey } from '../src/auth/signing-key.ts';
import { signToken } from '../src/auth/tokens.ts';
import { startNode, runNode } from './lib/processes.ts';
import { serverUrl, databaseUrl, maintenanceUrl } from './lib/pg-url.ts';
import type { LoadResult, LoadSpec } from './lib/load-worker.ts';
import { codeRevision } from './report.ts';

export interface EventsBenchOptions {
  changes: number;
  durationSeconds: number;
  reps: number;
  connections: number;
  /** The results file to append the section to; none: print only. */
  results?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runEventsBench(options: EventsBenchOptions): Promise<void> {
  const { changes: CHANGES, durationSeconds: DURATION, reps: REPS, connections: CONNECTIONS } = options;
  const pgServer = serverUrl();
  const dbName = `idm_bench_events_${Date.now()}`;
  const admin = new pg.Client({ connectionString: maintenanceUrl(pgServer) });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-bench-events-'));
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256' });
  const server = await startNode('src/server.ts', { DATABASE_URL: databaseUrl(pgServer, dbName), IDM_SIGNING_KEY: jwk, DATA_DIR: workDir, LOG_LEVEL: 'warn' }, path.join(workDir, 'server.log'));

  // The receiver: counts the SETs each registration gets (by path) and answers 202.
  const counts = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      counts.set(req.url!, (counts.get(req.url!) ?? 0) + 1);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  try {
    const key = await readSigningKey('/nonexistent', jwk);
    const settings = { issuer: 'identity-manager', audience: 'identity-manager', leewaySeconds: 30 };
    const operator = (await signToken(key, settings, { role: 'operator', subject: 'bench', ttlSeconds: 7200 })).token;
    const call = async (method: string, url: string, token: string, body?: unknown) => {
      const res = await fetch(`${server.url}${url}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : undefined;
    };
    const org = await call('POST', '/admin/v1/organisations', operator, { name: 'Bänkskolan', type: 'school', schoolForm: 'hogskola' });
    const provisioner = (await signToken(key, settings, { role: 'provisioner', subject: 'bench', orgId: org.id, ttlSeconds: 7200 })).token;
    let registrations = 0;
    const register = async (enabled: boolean) => {
      const name = `r${registrations++}`;
      const receiverRow = await call('POST', '/admin/v1/receivers', operator, { name, audience: 'bench', endpointUrl: `${receiverBase}/${name}`, payload: 'full', enabled });
      return { id: receiverRow.id as string, path: `/${name}` };
    };

    // 1. Delivery of a backlog of CHANGES events.
    const paused = await register(false);
    for (let done = 0; done < CHANGES; done += 1000) {
      const n = Math.min(1000, CHANGES - done);
      const Operations = Array.from({ length: n }, (_, i) => ({
        method: 'POST', path: '/Users', bulkId: `b${done + i}`,
        data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `backlog.${done + i}@bench.se`, name: { givenName: 'Bench', familyName: 'Backlog' }, emails: [{ value: `backlog.${done + i}@bench.se`, type: 'work' }] },
      }));
      await call('POST', '/scim/v2/Bulk', provisioner, { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations });
    }
    const backlogOf = async (id: string) => ((await call('GET', '/admin/v1/receivers', operator)) as { id: string; backlog: number }[]).find((r) => r.id === id)!.backlog;
    while ((await backlogOf(paused.id)) < CHANGES) await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await call('PATCH', `/admin/v1/receivers/${paused.id}`, operator, { enabled: true });
    while ((counts.get(paused.path) ?? 0) < CHANGES) await new Promise((r) => setTimeout(r, 5));
    const deliverySeconds = (performance.now() - started) / 1000;
    const eventsPerSecond = CHANGES / deliverySeconds;
    await call('DELETE', `/admin/v1/receivers/${paused.id}`, operator);
    console.log(`delivery: ${CHANGES} events in ${deliverySeconds.toFixed(2)} s = ${eventsPerSecond.toFixed(0)} events/s`);

    // 2. Write throughput with none and with one receiver, alternating.
    const runs = { none: [] as number[], one: [] as number[] };
    let run = 0;
    for (let rep = 0; rep < REPS; rep++) {
      for (const mode of rep % 2 ? (['one', 'none'] as const) : (['none', 'one'] as const)) {
        const registered = mode === 'one' ? await register(true) : undefined;
        const spec: LoadSpec = {
          url: server.url, connections: CONNECTIONS, durationSeconds: DURATION,
          headers: { authorization: `Bearer ${provisioner}` },
          postUsers: { path: '/scim/v2/Users', userNamePrefix: `load.${run++}` },
        };
        const specFile = path.join(workDir, `load-${run}.json`);
        fs.writeFileSync(specFile, JSON.stringify(spec));
        const result = JSON.parse((await runNode('bench/lib/load-worker.ts', [specFile], {}, (DURATION + 120) * 1000)).trim().split('\n').at(-1)!) as LoadResult;
        if (result.non2xx || result.errors) throw new Error(`load run failed: ${JSON.stringify(result.statusCodes)} errors ${result.errors}`);
        runs[mode].push(result.reqPerSec);
        if (registered) {
          // Its SETs of this run all arrive before the next run starts.
          while ((await backlogOf(registered.id)) > 0) await new Promise((r) => setTimeout(r, 100));
          await call('DELETE', `/admin/v1/receivers/${registered.id}`, operator);
        }
        console.log(`POST /Users with ${mode === 'one' ? 'one receiver' : 'no receiver'}: ${result.reqPerSec.toFixed(0)} req/s`);
      }
    }
    const ratio = median(runs.one) / median(runs.none);
    const load = os.loadavg()[0].toFixed(1);
    const section = [
      `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — change events (issue 14)`,
      '',
      `Command: \`npm run bench -- --events --changes ${CHANGES} --duration ${DURATION} --reps ${REPS} --connections ${CONNECTIONS}\` (${codeRevision()}; PostgreSQL ${(await admin.query('show server_version')).rows[0].server_version}; ${os.cpus().length} cores, load ${load} at the end).`,
      '',
      '| figure | value | target | met? |',
      '|---|---|---|---|',
      `| ${CHANGES} changes delivered to a local push receiver | ${eventsPerSecond.toFixed(0)} events/s (${deliverySeconds.toFixed(2)} s) | ≥ 2,000 events/s | ${eventsPerSecond >= 2000 ? 'met' : 'not met'} |`,
      `| POST /Users, ${CONNECTIONS} connections, no receiver (median) | ${median(runs.none).toFixed(0)} req/s | | |`,
      `| POST /Users, one push receiver (median) | ${median(runs.one).toFixed(0)} req/s | | |`,
      `| one ÷ none | ${ratio.toFixed(2)} × | ≥ 0.90 × | ${ratio >= 0.9 ? 'met' : 'not met'} |`,
      '',
      `Each run (req/s): none ${runs.none.map((r) => r.toFixed(0)).join(', ')}; one ${runs.one.map((r) => r.toFixed(0)).join(', ')}.`,
      '',
    ].join('\n');
    console.log(`\n${section}`);
    if (options.results) fs.appendFileSync(options.results, `\n${section}`);
  } finally {
    await server.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname;
if (isMain) {
  const { values } = parseArgs({
    options: {
      changes: { type: 'string', default: '10000' },
      duration: { type: 'string', default: '8' },
      reps: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      'no-results': { type: 'boolean' },
    },
  });
  await runEventsBench({
    changes: Number(values.changes), durationSeconds: Number(values.duration), reps: Number(values.reps), connections: Number(values.connections),
    results: values['no-results'] ? undefined : path.join(import.meta.dirname, 'RESULTS.md'),
  });
}
