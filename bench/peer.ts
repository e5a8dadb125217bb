// The peer of issue 11's side-by-side: SCIMMY (scimmy + scimmy-routers, the most complete SCIM
// library for Node) serving Users from memory: a Map of users by id and one by lower-cased
// userName, so `filter=userName eq "…"` is one Map lookup as an in-memory server would do it;
// other filters are matched by SCIMMY's own Filter.match over all users (a scan: at 10,000 users
// it costs some 80 ms a request). No tokens are checked beyond the header's presence, nothing is
// stored on disk.
//
//   PORT=8091 node --import tsx bench/peer.ts
import crypto from 'node:crypto';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

type Stored = Record<string, unknown> & { id: string; userName: string; meta: { created: Date; lastModified: Date } };

const users = new Map<string, Stored>();
const byName = new Map<string, string>();

SCIMMY.Resources.declare(SCIMMY.Resources.User)
  .ingress((resource, data) => {
    const now = new Date();
    const id = resource.id ?? crypto.randomUUID();
    const existing = resource.id ? users.get(resource.id) : undefined;
    if (resource.id && !existing) throw new SCIMMY.Types.Error(404, '', `no User ${resource.id}`);
    const userName = String((data as { userName: string }).userName).toLowerCase();
    const owner = byName.get(userName);
    if (owner && owner !== id) throw new SCIMMY.Types.Error(409, 'uniqueness', `userName "${userName}" is already taken`);
    const stored: Stored = { ...(data as object), id, userName: (data as { userName: string }).userName, meta: { created: existing?.meta.created ?? now, lastModified: now } };
    users.set(id, stored);
    byName.set(userName, id);
    return stored;
  })
  .egress((resource) => {
    if (resource.id) {
      const user = users.get(resource.id);
      if (!user) throw new SCIMMY.Types.Error(404, '', `no User ${resource.id}`);
      return user;
    }
    const expressions = resource.filter ? [...resource.filter] : [];
    const only = expressions.length === 1 ? Object.entries(expressions[0] as Record<string, unknown>) : [];
    if (only.length === 1 && only[0][0].toLowerCase() === 'username' && Array.isArray(only[0][1]) && only[0][1][0] === 'eq' && typeof only[0][1][1] === 'string') {
      const id = byName.get(only[0][1][1].toLowerCase());
      return id ? [users.get(id)!] : [];
    }
    const all = [...users.values()];
    return resource.filter ? resource.filter.match(all) : all;
  })
  .degress((resource) => {
    const user = resource.id ? users.get(resource.id) : undefined;
    if (!user) throw new SCIMMY.Types.Error(404, '', `no User ${resource.id}`);
    users.delete(user.id);
    byName.delete(String(user.userName).toLowerCase());
  });

const app = express();
app.get('/healthz', (_req, res) => {
  res.send('ok');
});
app.use('/scim/v2', new SCIMMYRouters({
  type: 'bearer',
  handler: (request) => {
    if (!request.header('Authorization')?.startsWith('Bearer ')) throw new Error('Authorization not detected');
    return 'bench';
  },
}));

const server = app.listen(Number(process.env.PORT ?? 8091), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  console.log(`peer (SCIMMY) listening on ${typeof address === 'object' && address ? address.port : ''}`);
});
server.keepAliveTimeout = 5_000;
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
