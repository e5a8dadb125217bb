// A reference receiver of Identity Manager's change events (SPEC §6.6): it accepts SETs pushed to
// it (RFC 8935), checks each one's signature against the server's JWKS, its issuer and audience,
// and keeps a replica of the users and group memberships from `full` events (RFC 9967).
//
//   npx tsx examples/reference-receiver/receiver.ts --port 9000 --audience portal \
//     --jwks http://127.0.0.1:8080/.well-known/jwks.json [--issuer identity-manager]
//
// GET / answers the replica as JSON. It is small on purpose; a real receiver stores the replica
// before it answers 202 (RFC 9967 §5: persist before acknowledging).
import http from 'node:http';
import path from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

const PROV = 'urn:ietf:params:scim:event:prov';

export interface Replica {
  users: Map<string, Record<string, unknown>>;
  /** Group id → the ids of its members. */
  groups: Map<string, Set<string>>;
}

export interface ReceivedEvent {
  jti: string;
  txn: string;
  uri: string;
  events: Record<string, Record<string, unknown>>;
}

export interface ReceiverOptions {
  /** The server's JWKS: its URL, or the key set itself. */
  jwks: string | JSONWebKeySet;
  issuer: string;
  audience: string;
}

interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

export class ReferenceReceiver {
  readonly replica: Replica = { users: new Map(), groups: new Map() };
  /** Every distinct SET applied, in the order received. */
  readonly received: ReceivedEvent[] = [];
  /** SETs that came again (same jti): at-least-once delivery; they are acknowledged and skipped. */
  duplicates = 0;
  private readonly seen = new Set<string>();
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly options: ReceiverOptions) {
    this.keys = typeof options.jwks === 'string' ? createRemoteJWKSet(new URL(options.jwks)) : createLocalJWKSet(options.jwks);
  }

  /** Verifies one SET and applies it; throws a RFC 8935 §2.4 error code when it is refused. */
  async accept(token: string): Promise<void> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.options.issuer, audience: this.options.audience, typ: 'secevent+jwt', algorithms: ['ES256'] }));
    } catch (err) {
      throw Object.assign(new Error(`signature or claims not accepted: ${(err as Error).message}`), { err: 'invalid_key' });
    }
    const jti = String(payload.jti);
    if (this.seen.has(jti)) {
      this.duplicates++;
      return;
    }
    const sub = payload.sub_id as { uri?: string } | undefined;
    const events = payload.events as Record<string, Record<string, unknown>> | undefined;
    if (!sub?.uri || !events) throw Object.assign(new Error('a SCIM event needs sub_id.uri and events'), { err: 'invalid_request' });
    this.apply(sub.uri, events);
    this.seen.add(jti);
    this.received.push({ jti, txn: String(payload.txn), uri: sub.uri, events });
  }

  private apply(uri: string, events: Record<string, Record<string, unknown>>): void {
    const [, type, id] = uri.split('/');
    for (const [event, body] of Object.entries(events)) {
      if (event === `${PROV}:create:full` && type === 'Users') {
        const { schemas: _s, meta: _m, ...user } = body.data as Record<string, unknown>;
        this.replica.users.set(id, user);
      } else if (event === `${PROV}:patch:full`) {
        const operations = (body.data as { Operations: PatchOperation[] }).Operations;
        if (type === 'Users') this.patchUser(id, operations);
        else this.patchMembers(id, operations);
      } else if (event === `${PROV}:delete` && type === 'Users') {
        this.replica.users.delete(id);
        // Memberships end with the user; the server sends no group event for them.
        for (const members of this.replica.groups.values()) members.delete(id);
      }
      // activate/deactivate come with the patch of `active` in the same SET; notices carry no
      // data (a receiver that wants it reads the resource with SCIM GET).
    }
  }

  private patchUser(id: string, operations: PatchOperation[]): void {
    const user = this.replica.users.get(id);
    if (!user) return;
    for (const { op, path: target, value } of operations) {
      if (!target) continue;
      // An extension attribute's path is its schema URN, a colon, and the attribute name.
      const split = target.startsWith('urn:') ? target.lastIndexOf(':') : -1;
      const holder = split > 0 ? ((user[target.slice(0, split)] ??= {}) as Record<string, unknown>) : user;
      const name = split > 0 ? target.slice(split + 1) : target;
      if (op === 'remove') delete holder[name];
      else holder[name] = value;
    }
  }

  private patchMembers(groupId: string, operations: PatchOperation[]): void {
    let members = this.replica.groups.get(groupId);
    if (!members) this.replica.groups.set(groupId, (members = new Set()));
    for (const { op, path: target, value } of operations) {
      if (op === 'add' && target === 'members') for (const m of value as { value: string }[]) members.add(m.value);
      const removed = op === 'remove' && target ? /^members\[value eq "([^"]+)"\]$/.exec(target) : null;
      if (removed) members.delete(removed[1]);
    }
  }

  /** RFC 8935 §2: a request handler for node:http. */
  handler(): http.RequestListener {
    return (req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.snapshot(), null, 2));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
        const fail = (err: string, description: string) => res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ err, description }));
        if (req.method !== 'POST' || type !== 'application/secevent+jwt') return fail('invalid_request', 'POST a SET as application/secevent+jwt');
        this.accept(Buffer.concat(chunks).toString('utf8')).then(
          () => res.writeHead(202).end(),
          (e: Error & { err?: string }) => fail(e.err ?? 'invalid_request', e.message),
        );
      });
    };
  }

  /** The replica as plain JSON: users by id, each group's member ids sorted. */
  snapshot(): { users: Record<string, Record<string, unknown>>; groups: Record<string, string[]> } {
    return {
      users: Object.fromEntries(this.replica.users),
      groups: Object.fromEntries([...this.replica.groups].map(([id, members]) => [id, [...members].sort()])),
    };
  }
}

function option(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const receiver = new ReferenceReceiver({ jwks: option('jwks'), issuer: option('issuer', 'identity-manager'), audience: option('audience') });
  const port = Number(option('port', '9000'));
  const listener = receiver.handler();
  http.createServer((req, res) => {
    listener(req, res);
    res.on('finish', () => {
      const last = receiver.received.at(-1);
      if (req.method === 'POST' && res.statusCode === 202 && last) console.log(`${last.uri} ${Object.keys(last.events).join(' ')} ${JSON.stringify(Object.values(last.events)[0])}`);
      else if (req.method === 'POST') console.log(`refused (${res.statusCode})`);
    });
  }).listen(port, '127.0.0.1', () => console.log(`reference receiver on http://127.0.0.1:${port}/ (GET / shows the replica)`));
}
