// One autocannon load run, in a process of its own so the load generator never shares an event
// loop with what it measures. Reads a LoadSpec (JSON file named by argv[2]), prints a LoadResult
// as one JSON line on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface LoadSpec {
  /** Base URL, always http://127.0.0.1:PORT. */
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /** GET one of these paths, chosen at random, per request. */
  paths?: string[];
  /** POST a new User per request to this path, each with a fresh userName under `userNamePrefix`. */
  postUsers?: { path: string; userNamePrefix: string };
  /** Stop after this many requests instead of after durationSeconds (the seeding of the side-by-side). */
  amount?: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  statusCodes: Record<string, number>;
}

function userBody(userName: string): string {
  return JSON.stringify({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    externalId: userName,
    name: { givenName: 'Bench', familyName: 'Användare' },
    displayName: 'Bench Användare',
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
  });
}

/**
 * A timed run that completed no request (a run of a second or two, as the machinery test makes,
 * on a machine busy with other work) measured nothing: it is run again by count, one request per
 * connection, so the figure is a rate, never a 0 that no server earned.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = await runOnce(spec);
  return result.ok === 0 && !spec.amount ? runOnce({ ...spec, amount: spec.connections }) : result;
}

async function runOnce(spec: LoadSpec): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(spec.url)) throw new Error(`load runs target 127.0.0.1 only, not ${spec.url}`);
  let sequence = 0;
  const paths = spec.paths ?? [];
  const post = spec.postUsers;
  const request: autocannon.Request = post
    ? {
      method: 'POST',
      path: post.path,
      setupRequest: (req) => ({ ...req, body: userBody(`${post.userNamePrefix}.${sequence++}@bench.exempel.se`) }),
    }
    : {
      method: 'GET',
      path: paths[0],
      setupRequest: (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] }),
    };
  const headers = { ...spec.headers, ...(post ? { 'content-type': 'application/scim+json' } : {}) };
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    ...(spec.amount ? { amount: spec.amount } : {}),
    headers,
    requests: [request],
    timeout: 30,
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number((stat as { count: number | string }).count);
  const ok = result['2xx'];
  return {
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    reqPerSec: ok / result.duration,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
    statusCodes,
  };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
const specFile = process.argv[2];
if (isMain && specFile) {
  runLoad(JSON.parse(fs.readFileSync(specFile, 'utf8')) as LoadSpec).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
