// The floor of the benchmarks (issue 6): a minimal Koa + pg server that runs the same indexed
// queries as Identity Manager and answers the same JSON shapes, with nothing else — no tokens, no
// validation, no audit, no logging. Our server's figures are read as ratios to this one's,
// measured in the same run on the same machine.
//
//   DATABASE_URL=postgres://…/idm_bench PORT=8090 node --import tsx bench/floor.ts
//
// The organisation is named by the X-Org-Id header (there is no token to take it from).
import crypto from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import pg from 'pg';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const IDM_USER = 'urn:identity-manager:params:scim:schemas:extension:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const IDM_GROUP = 'urn:identity-manager:params:scim:schemas:extension:2.0:Group';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const MEMBER_PAGE = 5000;

interface UserRow {
  id: string;
  user_name: string;
  external_id: string | null;
  active: boolean;
  data: Record<string, unknown>;
  credential_status: string;
  version: number;
  created_at: Date;
  modified_at: Date;
  sort_key: string;
  org_name: string;
  org_type: string;
  school_form: string | null;
  groups: { id: string; display_name: string; service_code: string }[];
}

// Users with their organisation and groups in one statement: the floor's version of what the
// server reads for a User (users by (org_id, id), (org_id, lower(user_name)) or (org_id,
// created_at, id); memberships by (org_id, user_id)). `users` is the statement choosing the
// users, so the groups are read for the chosen rows only, not for those an OFFSET skips.
const userSelect = (users: string) => `
  select u.id, u.user_name, u.external_id, u.active, u.data, u.credential_status, u.version, u.created_at, u.modified_at,
         u.created_at::text as sort_key, o.name as org_name, o.type as org_type, o.school_form,
         coalesce((select json_agg(json_build_object('id', g.id, 'display_name', g.display_name, 'service_code', g.service_code) order by g.display_name)
                   from memberships m join groups g on g.org_id = m.org_id and g.id = m.group_id
                   where m.org_id = u.org_id and m.user_id = u.id), '[]') as groups
  from (${users}) u join organisations o on o.id = u.org_id
  order by u.created_at, u.id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function renderUser(row: UserRow, orgId: string, base: string): Record<string, unknown> {
  const resource: Record<string, unknown> = { schemas: [CORE_USER, IDM_USER], id: row.id };
  if (row.external_id !== null) resource.externalId = row.external_id;
  resource.userName = row.user_name;
  Object.assign(resource, row.data);
  resource.active = row.active;
  if (row.groups.length) {
    resource.groups = row.groups.map((g) => ({ value: g.id, $ref: `${base}/Groups/${g.id}`, display: g.display_name, type: 'direct' }));
  }
  const extension: Record<string, unknown> = { organisationId: orgId, organisationName: row.org_name, organisationType: row.org_type };
  if (row.school_form) extension.schoolForm = row.school_form;
  extension.services = row.groups.map((g) => g.service_code).sort();
  extension.credentialStatus = row.credential_status;
  resource[IDM_USER] = extension;
  resource.meta = {
    resourceType: 'User',
    created: new Date(row.created_at).toISOString(),
    lastModified: new Date(row.modified_at).toISOString(),
    location: `${base}/Users/${row.id}`,
    version: `W/"${row.version}"`,
  };
  return resource;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Named statements are prepared once per connection (PostgreSQL then skips parsing and, once it
 * settles on a generic plan, planning). FLOOR_UNPREPARED=1 sends them unnamed, as knex does, to
 * measure what preparing is worth.
 */
const PREPARED = process.env.FLOOR_UNPREPARED !== '1';
const statement = (config: { name: string; text: string; values: unknown[] }) => (PREPARED ? config : { text: config.text, values: config.values });

export function buildFloor(pool: pg.Pool): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  const orgOf = (ctx: Koa.Context) => {
    const org = ctx.get('X-Org-Id');
    if (!UUID.test(org)) ctx.throw(400, 'X-Org-Id');
    return org;
  };
  const base = (ctx: Koa.Context) => `${ctx.origin}/scim/v2`;
  const send = (ctx: Koa.Context, status: number, body: unknown) => {
    ctx.status = status;
    ctx.type = 'application/scim+json';
    ctx.body = JSON.stringify(body);
  };

  router.get('/healthz', (ctx) => {
    ctx.body = 'ok';
  });

  router.get('/scim/v2/Users', async (ctx) => {
    const org = orgOf(ctx);
    const filter = typeof ctx.query.filter === 'string' ? /^userName eq "(.*)"$/.exec(ctx.query.filter) : null;
    const count = Math.min(Number(ctx.query.count ?? 100) || 100, 1000);
    if (filter) {
      const { rows } = await pool.query<UserRow>(statement({ name: 'by-user-name', text: userSelect('select * from users where org_id = $1 and lower(user_name) = lower($2)'), values: [org, filter[1]] }));
      send(ctx, 200, { schemas: [LIST_RESPONSE], totalResults: rows.length, itemsPerPage: rows.length, startIndex: 1, Resources: rows.map((r) => renderUser(r, org, base(ctx))) });
      return;
    }
    // Paging in creation order: COUNT for totalResults, then OFFSET (index) or a keyset (cursor)
    // over (org_id, created_at, id), as the server does.
    const total = Number((await pool.query(statement({ name: 'count', text: 'select count(*) as n from users where org_id = $1', values: [org] }))).rows[0].n);
    let rows: UserRow[];
    const head: Record<string, unknown> = { schemas: [LIST_RESPONSE], totalResults: total };
    if (typeof ctx.query.cursor === 'string') {
      const after = ctx.query.cursor ? JSON.parse(Buffer.from(ctx.query.cursor, 'base64url').toString('utf8')) as { k: string; id: string } : undefined;
      rows = after
        ? (await pool.query<UserRow>(statement({ name: 'page-after', text: userSelect('select * from users where org_id = $1 and (created_at, id) > ($2::timestamptz, $3::uuid) order by created_at, id limit $4'), values: [org, after.k, after.id, count + 1] }))).rows
        : (await pool.query<UserRow>(statement({ name: 'page-first', text: userSelect('select * from users where org_id = $1 order by created_at, id limit $2'), values: [org, count + 1] }))).rows;
      const more = rows.length > count;
      if (more) rows = rows.slice(0, count);
      head.itemsPerPage = rows.length;
      if (more) {
        const last = rows[rows.length - 1];
        head.nextCursor = Buffer.from(JSON.stringify({ k: last.sort_key, id: last.id })).toString('base64url');
      }
    } else {
      const startIndex = Math.max(1, Number(ctx.query.startIndex ?? 1) || 1);
      rows = (await pool.query<UserRow>(statement({ name: 'page-offset', text: userSelect('select * from users where org_id = $1 order by created_at, id offset $2 limit $3'), values: [org, startIndex - 1, count] }))).rows;
      head.itemsPerPage = rows.length;
      head.startIndex = startIndex;
    }
    send(ctx, 200, { ...head, Resources: rows.map((r) => renderUser(r, org, base(ctx))) });
  });

  router.get('/scim/v2/Users/:id', async (ctx) => {
    const org = orgOf(ctx);
    if (!UUID.test(ctx.params.id)) ctx.throw(404);
    const { rows } = await pool.query<UserRow>(statement({ name: 'by-id', text: userSelect('select * from users where org_id = $1 and id = $2'), values: [org, ctx.params.id] }));
    if (!rows[0]) ctx.throw(404);
    ctx.set('ETag', `W/"${rows[0].version}"`);
    send(ctx, 200, renderUser(rows[0], org, base(ctx)));
  });

  // The two rows a new user needs (registry, then user) in one transaction.
  router.post('/scim/v2/Users', async (ctx) => {
    const org = orgOf(ctx);
    const { schemas: _schemas, userName, externalId, active, ...data } = JSON.parse(await readBody(ctx.req)) as Record<string, unknown>;
    const id = crypto.randomUUID();
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(statement({ name: 'insert-name', text: 'insert into user_names (lower_name, org_id, user_id) values (lower($1), $2, $3)', values: [userName, org, id] }));
      await client.query(statement({
        name: 'insert-user',
        text: `insert into users (org_id, id, user_name, external_id, active, data, created_at, modified_at, ungrouped_since)
               values ($1, $2, $3, $4, $5, $6, now(), now(), now())`,
        values: [org, id, userName, externalId ?? null, active ?? true, JSON.stringify(data)],
      }));
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      throw err;
    } finally {
      client.release();
    }
    const { rows } = await pool.query<UserRow>(statement({ name: 'by-id', text: userSelect('select * from users where org_id = $1 and id = $2'), values: [org, id] }));
    send(ctx, 201, renderUser(rows[0], org, base(ctx)));
  });

  // A group, and unless excluded its members streamed a keyset page of MEMBER_PAGE at a time.
  router.get('/scim/v2/Groups/:id', async (ctx) => {
    const org = orgOf(ctx);
    if (!UUID.test(ctx.params.id)) ctx.throw(404);
    const { rows } = await pool.query(statement({
      name: 'group',
      text: `select g.id, g.display_name, g.service_code, g.version, g.created_at, g.modified_at, s.description, s.granted_by
             from groups g join services s on s.code = g.service_code where g.org_id = $1 and g.id = $2`,
      values: [org, ctx.params.id],
    }));
    const g = rows[0];
    if (!g) ctx.throw(404);
    const b = base(ctx);
    const head = {
      schemas: [CORE_GROUP, IDM_GROUP],
      id: g.id,
      displayName: g.display_name,
      [IDM_GROUP]: { serviceCode: g.service_code, formOnly: g.granted_by === 'declaration', description: g.description },
      meta: { resourceType: 'Group', created: new Date(g.created_at).toISOString(), lastModified: new Date(g.modified_at).toISOString(), location: `${b}/Groups/${g.id}`, version: `W/"${g.version}"` },
    };
    ctx.status = 200;
    ctx.type = 'application/scim+json';
    ctx.set('ETag', `W/"${g.version}"`);
    if (ctx.query.excludedAttributes === 'members') {
      ctx.body = JSON.stringify(head);
      return;
    }
    ctx.body = Readable.from((async function* () {
      yield `${JSON.stringify(head).slice(0, -1)},"members":[`;
      let after = '00000000-0000-0000-0000-000000000000';
      let first = true;
      for (;;) {
        const page = await pool.query<{ user_id: string }>(statement({
          name: 'members',
          text: 'select user_id from memberships where org_id = $1 and group_id = $2 and user_id > $3 order by user_id limit $4',
          values: [org, g.id, after, MEMBER_PAGE],
        }));
        if (page.rows.length === 0) break;
        const text = page.rows.map((r) => JSON.stringify({ value: r.user_id, $ref: `${b}/Users/${r.user_id}`, type: 'User' })).join(',');
        yield first ? text : `,${text}`;
        first = false;
        if (page.rows.length < MEMBER_PAGE) break;
        after = page.rows[page.rows.length - 1].user_id;
      }
      yield ']}';
    })());
  });

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = (err as { status?: number }).status ?? 500;
      ctx.body = { detail: ctx.status === 500 ? String(err) : 'error' };
    }
  });
  app.use(router.routes());
  return app;
}

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.POOL_MAX ?? 10) });
const server = http.createServer(buildFloor(pool).callback());
server.keepAliveTimeout = 5_000;
server.listen(Number(process.env.PORT ?? 8090), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  console.log(`floor listening on ${typeof address === 'object' && address ? address.port : ''}`);
});
const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
