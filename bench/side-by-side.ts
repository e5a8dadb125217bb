// Issue 11 item 5: `npm run bench -- --peer`. Our server on the embedded default (no
// DATABASE_URL: its own PostgreSQL under a fresh DATA_DIR, as `npm start` runs it) side by side
// with SCIMMY serving Users from memory (bench/peer.ts), each in a child process. Both are seeded
// with the same number of users by POST /Users at 16 connections (the POST/s), then looked up by
// `filter=userName eq "…"` in interleaved runs. CPU per request is read from /proc: for SCIMMY its
// node process, for ours the node process and every process under it (the PostgreSQL server and
// its backends, which run as our children).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { loadConfig } from '../src/config/config.ts';
import { readSigningKey } from '../src/auth/signing-key.ts';
import { signToken } from '../src/auth/tokens.ts';
import { TOKEN_LEEWAY_SECONDS } from '../src/app.ts';
import { runNode, startNode, type NodeProcess } from './lib/processes.ts';
import { cpuMs, MB, rssBytes } from './lib/proc.ts';
import { median } from './lib/stats.ts';
import type { LoadResult, LoadSpec } from './lib/load-worker.ts';
import type { Row } from './scenarios.ts';

export interface PeerOptions {
  users: number;
  durationSeconds: number;
  warmupSeconds: number;
  reps: number;
  connections: number;
  log: (line: string) => void;
}

interface Side {
  name: 'ours' | 'peer';
  proc: NodeProcess;
  headers: Record<string, string>;
}

/** The pids of `root` and every process below it, from /proc's parent links. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

function treeCpuMs(root: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of processTree(root)) {
    try {
      out.set(pid, cpuMs(pid));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

function cpuSince(before: Map<number, number>, root: number): { all: number; node: number } {
  const after = treeCpuMs(root);
  let all = 0;
  for (const [pid, ms] of after) all += ms - (before.get(pid) ?? 0);
  return { all, node: (after.get(root) ?? 0) - (before.get(root) ?? 0) };
}

let runs = 0;

async function load(side: Side, tmpDir: string, spec: Omit<LoadSpec, 'url'>): Promise<LoadResult & { cpuMsPerRequest: number; nodeCpuMsPerRequest: number }> {
  const file = path.join(tmpDir, `peer-load-${++runs}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...spec, url: side.proc.url }));
  const before = treeCpuMs(side.proc.pid);
  const out = await runNode('bench/lib/load-worker.ts', [file], {}, (spec.durationSeconds + 600) * 1000);
  const cpu = cpuSince(before, side.proc.pid);
  const result = JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
  return { ...result, cpuMsPerRequest: cpu.all / result.requests, nodeCpuMsPerRequest: cpu.node / result.requests };
}

export async function runPeer(o: PeerOptions): Promise<{ rows: Row[]; text: string }> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idm-peer-'));
  // Started as root, the embedded PostgreSQL runs as an unprivileged user, who must reach DATA_DIR.
  fs.chmodSync(tmpDir, 0o711);
  const sides: Side[] = [];
  try {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'idm-peer', alg: 'ES256' });
    const key = await readSigningKey('/nonexistent', jwk);
    const config = loadConfig({});
    const settings = { issuer: config.issuer, audience: config.audience, leewaySeconds: TOKEN_LEEWAY_SECONDS };
    const sign = async (role: 'operator' | 'provisioner', orgId?: string) =>
      (await signToken(key, settings, { role, orgId, subject: `peer-${role}`, ttlSeconds: 6 * 3600, jti: crypto.randomUUID() })).token;

    o.log('starting our server on the embedded default (a fresh DATA_DIR) and SCIMMY');
    // DATABASE_URL empty: the embedded PostgreSQL, as `npm start` without configuration.
    const ours = await startNode('src/server.ts', { DATABASE_URL: '', DATA_DIR: path.join(tmpDir, 'data'), LOG_LEVEL: 'warn', IDM_SIGNING_KEY: jwk }, path.join(tmpDir, 'ours.log'));
    sides.push({ name: 'ours', proc: ours, headers: {} });
    const peer = await startNode('bench/peer.ts', {}, path.join(tmpDir, 'peer.log'));
    sides.push({ name: 'peer', proc: peer, headers: { authorization: 'Bearer peer' } });
    const org = await fetch(`${ours.url}/admin/v1/organisations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await sign('operator')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Jämförelseskolan', type: 'school', schoolForm: 'gymnasieskola' }),
    });
    if (org.status !== 201) throw new Error(`creating the organisation: ${org.status} ${await org.text()}`);
    sides[0].headers = { authorization: `Bearer ${await sign('provisioner', ((await org.json()) as { id: string }).id)}` };
    const rss = (side: Side) => rssBytes(side.proc.pid) / MB;
    const rssAtStart = { ours: rss(sides[0]), peer: rss(sides[1]) };

    // Seeding: the same POST /Users bodies (bench/lib/load-worker.ts) to both, one after the
    // other, in five chunks: the CPU per POST of the first and the last chunk shows whether a
    // creation costs more as the organisation fills (issue 11 item 3, as the issue measured it).
    const chunks = 5;
    const chunk = Math.ceil(o.users / chunks);
    const post: Record<Side['name'], { rps: number; cpu: number; dbFirst: number; dbLast: number }> = {
      ours: { rps: 0, cpu: 0, dbFirst: 0, dbLast: 0 }, peer: { rps: 0, cpu: 0, dbFirst: 0, dbLast: 0 },
    };
    const prefix = (side: Side, c: number) => `peer.${side.name}.${c}`;
    const nameOf = (side: Side, n: number) => `${prefix(side, Math.floor(n / chunk))}.${n % chunk}@bench.exempel.se`;
    for (const side of sides) {
      let ok = 0;
      let seconds = 0;
      let cpu = 0;
      for (let c = 0; c < chunks; c++) {
        const amount = Math.min(chunk, o.users - c * chunk);
        const r = await load(side, tmpDir, { connections: Math.min(16, amount), durationSeconds: 3600, amount, headers: side.headers, postUsers: { path: '/scim/v2/Users', userNamePrefix: prefix(side, c) } });
        if (r.ok !== amount) throw new Error(`${side.name}: ${r.ok} of ${amount} POST /Users succeeded ${JSON.stringify(r.statusCodes)}`);
        ok += r.ok;
        seconds += r.durationSeconds;
        cpu += r.cpuMsPerRequest * r.requests;
        const db = r.cpuMsPerRequest - r.nodeCpuMsPerRequest;
        if (c === 0) post[side.name].dbFirst = db;
        post[side.name].dbLast = db;
        o.log(`  ${side.name.padEnd(4)} users ${c * chunk}–${c * chunk + amount}: ${r.reqPerSec.toFixed(0)} POST/s, ${r.cpuMsPerRequest.toFixed(3)} CPU ms per POST (database ${db.toFixed(3)})`);
      }
      post[side.name].rps = ok / seconds;
      post[side.name].cpu = cpu / ok;
    }
    for (const side of sides) {
      const res = await fetch(`${side.proc.url}/scim/v2/Users?count=1`, { headers: side.headers });
      const total = ((await res.json()) as { totalResults: number }).totalResults;
      if (total !== o.users) throw new Error(`${side.name} holds ${total} users, not ${o.users}`);
    }

    // Lookups of random seeded users by userName, interleaved, median of reps.
    const names = Array.from({ length: Math.min(o.users, 2000) }, () => Math.floor(Math.random() * o.users));
    const paths = (side: Side) => names.map((n) => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${nameOf(side, n)}"`)}`);
    for (const side of sides) await load(side, tmpDir, { connections: o.connections, durationSeconds: o.warmupSeconds, headers: side.headers, paths: paths(side) });
    const lookups: Record<Side['name'], { rps: number[]; cpu: number[]; nodeCpu: number[]; p99: number[] }> = {
      ours: { rps: [], cpu: [], nodeCpu: [], p99: [] }, peer: { rps: [], cpu: [], nodeCpu: [], p99: [] },
    };
    for (let rep = 0; rep < o.reps; rep++) {
      for (const side of rep % 2 ? [...sides].reverse() : sides) {
        const r = await load(side, tmpDir, { connections: o.connections, durationSeconds: o.durationSeconds, headers: side.headers, paths: paths(side) });
        if (r.non2xx || r.errors) throw new Error(`${side.name}: ${r.non2xx} non-2xx, ${r.errors} errors in the lookups ${JSON.stringify(r.statusCodes)}`);
        const l = lookups[side.name];
        l.rps.push(r.reqPerSec);
        l.cpu.push(r.cpuMsPerRequest);
        l.nodeCpu.push(r.nodeCpuMsPerRequest);
        l.p99.push(r.latencyMs.p99);
        o.log(`  ${side.name.padEnd(4)} rep ${rep + 1}: ${r.reqPerSec.toFixed(0)} lookups/s, ${r.cpuMsPerRequest.toFixed(3)} CPU ms per lookup (node ${r.nodeCpuMsPerRequest.toFixed(3)}), p99 ${r.latencyMs.p99} ms`);
      }
    }
    const m = (name: Side['name'], k: 'rps' | 'cpu' | 'nodeCpu' | 'p99') => median(lookups[name][k]);
    const row = (key: string, scenario: string, unit: string, ours: number, peerValue: number, target: string, met: boolean | null, runsOf?: { ours: number[]; floor: number[] }): Row =>
      ({ key: `peer.${key}`, scenario, unit, ours, floor: peerValue, reference: 'SCIMMY', ratio: peerValue ? ours / peerValue : null, target, met, runs: runsOf });
    const rows: Row[] = [
      row('lookup-rps', `GET /Users?filter=userName eq, ${o.users.toLocaleString('en')} users, @${o.connections} — lookups/s`, 'req/s', m('ours', 'rps'), m('peer', 'rps'), '≥ 2.5 × SCIMMY', m('ours', 'rps') >= 2.5 * m('peer', 'rps'), { ours: lookups.ours.rps, floor: lookups.peer.rps }),
      row('lookup-cpu', 'CPU per lookup (ours: node + its PostgreSQL processes)', 'ms', m('ours', 'cpu'), m('peer', 'cpu'), '≤ 0.5 × SCIMMY', m('ours', 'cpu') <= 0.5 * m('peer', 'cpu'), { ours: lookups.ours.cpu, floor: lookups.peer.cpu }),
      row('lookup-node-cpu', 'CPU per lookup, node process only', 'ms', m('ours', 'nodeCpu'), m('peer', 'nodeCpu'), '', null, { ours: lookups.ours.nodeCpu, floor: lookups.peer.nodeCpu }),
      row('lookup-p99', 'lookup latency p99', 'ms', m('ours', 'p99'), m('peer', 'p99'), '', null, { ours: lookups.ours.p99, floor: lookups.peer.p99 }),
      row('post-rps', `POST /Users while seeding ${o.users.toLocaleString('en')} users, @16 — POST/s`, 'req/s', post.ours.rps, post.peer.rps, '≥ 1 × SCIMMY', post.ours.rps >= post.peer.rps),
      row('post-cpu', 'CPU per POST (ours: node + its PostgreSQL processes)', 'ms', post.ours.cpu, post.peer.cpu, '', null),
      {
        key: 'peer.post-db-growth', scenario: `ours: PostgreSQL CPU per POST, last ${chunk.toLocaleString('en')} ÷ first ${chunk.toLocaleString('en')} of the seeding`, unit: '×',
        ours: post.ours.dbLast / post.ours.dbFirst, floor: null, ratio: null, target: '≤ 1.2 ×', met: post.ours.dbLast / post.ours.dbFirst <= 1.2,
        note: `${post.ours.dbFirst.toFixed(3)} ms → ${post.ours.dbLast.toFixed(3)} ms`,
      },
      row('rss-start', 'RSS of the node process at start', 'MB', rssAtStart.ours, rssAtStart.peer, '', null),
      row('rss-end', 'RSS of the node process after the run', 'MB', rss(sides[0]), rss(sides[1]), '', null),
    ];
    const fmt = (v: number, unit: string) => (unit === 'ms' ? v.toFixed(3) : v.toFixed(0));
    const text = [
      '| | ours (embedded PostgreSQL) | SCIMMY (memory) | ours ÷ SCIMMY | target | met? |',
      '|---|--:|--:|--:|---|---|',
      ...rows.map((r) => r.floor === null
        ? `| ${r.scenario} | ${r.ours!.toFixed(2)} × (${r.note}) | | | ${r.target} | ${r.met ? 'met' : '**missed**'} |`
        : `| ${r.scenario} | ${fmt(r.ours!, r.unit)} ${r.unit} | ${fmt(r.floor, r.unit)} ${r.unit} | ${r.ratio?.toFixed(2)} × | ${r.target} | ${r.met === null ? '' : r.met ? 'met' : '**missed**'} |`),
    ].join('\n');
    return { rows, text };
  } finally {
    await Promise.all(sides.map((s) => s.proc.stop()));
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}
