import { msSince } from './stats.ts';

/** One benchmarked server: ours or the floor, with the headers that name the organisation to it. */
export interface Target {
  name: 'ours' | 'floor';
  url: string;
  pid: number;
  /** Headers for reads in the big organisation (a provisioner token, or X-Org-Id for the floor). */
  read: Record<string, string>;
  /** Headers for writes in the write organisation. */
  write: Record<string, string>;
}

export interface Timed {
  status: number;
  ms: number;
  text: string;
}

/** One request, timed from send to the last byte of the body. */
export async function timed(target: Target, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Timed> {
  const started = process.hrtime.bigint();
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, ms: msSince(started), text };
}

/** Like {@link timed}, but reads the body as a stream and only counts its bytes and line ends. */
export async function timedStream(target: Target, path: string, headers: Record<string, string>): Promise<{ status: number; ms: number; bytes: number; lines: number }> {
  const started = process.hrtime.bigint();
  const res = await fetch(`${target.url}${path}`, { headers });
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  return { status: res.status, ms: msSince(started), bytes, lines };
}

export function expectStatus(what: string, got: { status: number; text?: string }, ...wanted: number[]): void {
  if (!wanted.includes(got.status)) throw new Error(`${what}: status ${got.status}, expected ${wanted.join(' or ')}${got.text ? `: ${got.text.slice(0, 300)}` : ''}`);
}
