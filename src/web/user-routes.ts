import Router from '@koa/router';
import type { WebContext, WebDeps, WebState } from './web-context.ts';
import { actInOrganisation, type TenantRequest } from '../domain/tenant-request.ts';
import {
  MAX_SEARCH_LENGTH, USER_SORTS, changeDetails, changeServices, createUserWithServices, listUsers, serviceChoices, setActive, userOverview,
  type PersonalDetails, type UserQuery, type UserSort,
} from '../domain/user-administration.ts';
import { orderOneTimePassword } from '../domain/credentials.ts';
import { listAdmins } from '../domain/administrators.ts';
import { userExportCsv, userExportFileName } from '../domain/user-export-csv.ts';
import { field, readForm } from './form-body.ts';
import { requireAdmin } from './session.ts';
import { sendPage } from './render.tsx';
import { frameOf } from './frame.ts';
import { pageFailureOf } from './failures.ts';
import { NotAdminPage } from './pages/sign-in-pages.tsx';
import { UserListPage } from './pages/user-list-page.tsx';
import { NewUserPage, UserPage, type FormError, type FormPart } from './pages/user-pages.tsx';
import { AdminsPage } from './pages/admins-page.tsx';
import type { Outcome } from '../model/outcomes.ts';
import { nameOf } from './pages/words.ts';

export const PAGE_SIZE = 50;
/** Deeper pages than this are not offered: searching finds a user faster than paging 50,000 rows. */
const MAX_PAGE = 2000;

function userQuery(ctx: WebContext): UserQuery {
  const one = (name: string): string => {
    const value = ctx.query[name];
    return (Array.isArray(value) ? value[0] : value) ?? '';
  };
  const sort = USER_SORTS.includes(one('sortering') as UserSort) ? (one('sortering') as UserSort) : 'userName';
  const page = Number.parseInt(one('sida'), 10);
  return {
    search: one('sok').replace(/\0/g, '').trim().slice(0, MAX_SEARCH_LENGTH),
    sort,
    descending: one('ordning') === 'fallande',
    page: Number.isInteger(page) && page >= 1 ? Math.min(page, MAX_PAGE) : 1,
    pageSize: PAGE_SIZE,
  };
}

function detailsOf(form: URLSearchParams): PersonalDetails {
  return { givenName: field(form, 'givenName'), familyName: field(form, 'familyName'), email: field(form, 'email') };
}

/**
 * Which part of a form a refusal belongs to: the rules of services (SPEC §4) to the services, a
 * taken username to the username, anything else about the values to the details.
 */
function formErrorOf(err: unknown, parts: Partial<Record<Outcome['kind'] | 'other', FormPart>>): { status: number; error: FormError } {
  const failure = pageFailureOf(err);
  if (!failure || failure.status === 404 || failure.status >= 500) throw err;
  const kind = (err as Partial<Outcome>).kind ?? 'other';
  return { status: failure.status, error: { part: parts[kind] ?? parts.other ?? 'form', message: failure.message } };
}

/** The permission administrator's pages about users (SPEC §6.5), each over the domain's own operations. */
export function userRoutes(deps: WebDeps): Router<WebState> {
  const router = new Router<WebState>();
  const tenant = (ctx: WebContext): Promise<TenantRequest> => {
    const principal = ctx.state.session!.principal;
    return actInOrganisation(deps.repos, principal.orgId!, { principal, requestId: ctx.state.requestId, now: deps.now() });
  };

  router.get('/', async (ctx: WebContext) => {
    const principal = ctx.state.session?.principal;
    if (!principal) return ctx.redirect('/logga-in');
    if (principal.session?.passwordChangeOnly) return ctx.redirect('/byt-engangslosenord');
    if (principal.role !== 'admin') return sendPage(ctx, 200, NotAdminPage({ frame: frameOf(ctx, deps, 'Inloggad') }));
    const query = userQuery(ctx);
    const { users, total } = await listUsers(await tenant(ctx), query);
    sendPage(ctx, 200, UserListPage({ frame: frameOf(ctx, deps, 'Användare', 'users'), query, users, total }));
  });

  router.get('/anvandare/ny', requireAdmin, async (ctx: WebContext) => {
    const choices = await serviceChoices(await tenant(ctx));
    const form = { userName: '', details: { givenName: '', familyName: '', email: '' }, services: new Set<string>() };
    sendPage(ctx, 200, NewUserPage({ frame: frameOf(ctx, deps, 'Lägg till användare', 'new'), choices, form }));
  });

  router.post('/anvandare/ny', requireAdmin, async (ctx: WebContext) => {
    const req = await tenant(ctx);
    const body = await readForm(ctx);
    const form = { userName: field(body, 'userName'), details: detailsOf(body), services: new Set(body.getAll('service').slice(0, 20)) };
    try {
      const created = await createUserWithServices(req, form.userName, form.details, [...form.services]);
      ctx.redirect(`/anvandare/${created.row.id}?klart=skapad`);
    } catch (err) {
      const { status, error } = formErrorOf(err, { 'refusal': 'services', 'conflict': 'userName', 'invalid': 'details', 'not-found': 'services' });
      sendPage(ctx, status, NewUserPage({ frame: frameOf(ctx, deps, 'Lägg till användare', 'new'), choices: await serviceChoices(req), form, error }));
    }
  });

  router.get('/anvandare.csv', requireAdmin, async (ctx: WebContext) => {
    const req = await tenant(ctx);
    ctx.body = await userExportCsv(req, (err) => deps.log.error({ err, requestId: ctx.state.requestId }, 'user export failed while streaming'));
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="${userExportFileName(req.org.id)}"`);
  });

  router.get('/administratorer', requireAdmin, async (ctx: WebContext) => {
    const admins = await listAdmins(await tenant(ctx));
    sendPage(ctx, 200, AdminsPage({ frame: frameOf(ctx, deps, 'Behörighetsadministratörer', 'admins'), admins }));
  });

  const showUser = async (ctx: WebContext, req: TenantRequest, status: number, state: Parameters<typeof UserPage>[0]['state']) => {
    const overview = await userOverview(req, ctx.params.id);
    const { givenName, familyName } = nameOf(overview.user.data);
    const name = `${givenName} ${familyName}`.trim();
    sendPage(ctx, status, UserPage({ frame: frameOf(ctx, deps, name || overview.user.userName), overview, choices: await serviceChoices(req), state }));
  };

  router.get('/anvandare/:id', requireAdmin, async (ctx: WebContext) => {
    const done = typeof ctx.query.klart === 'string' ? ctx.query.klart : undefined;
    await showUser(ctx, await tenant(ctx), 200, { done });
  });

  /** A form on a user's page: the change, then back to the page; a refusal shows the page again with its words. */
  const userForm = (path: string, part: FormPart, change: (req: TenantRequest, id: string, form: URLSearchParams) => Promise<unknown>, done: string,
    keep: (form: URLSearchParams) => Parameters<typeof UserPage>[0]['state'] = () => ({})) => {
    router.post(`/anvandare/:id/${path}`, requireAdmin, async (ctx: WebContext) => {
      const req = await tenant(ctx);
      const form = await readForm(ctx);
      try {
        await change(req, ctx.params.id, form);
      } catch (err) {
        const { status, error } = formErrorOf(err, { other: part });
        return showUser(ctx, req, status, { ...keep(form), error });
      }
      ctx.redirect(`/anvandare/${ctx.params.id}?klart=${done}`);
    });
  };
  userForm('uppgifter', 'details', (req, id, form) => changeDetails(req, id, detailsOf(form)), 'uppgifter', (form) => ({ details: detailsOf(form) }));
  userForm('tjanster', 'services', (req, id, form) => changeServices(req, id, form.getAll('service').slice(0, 20)), 'tjanster', (form) => ({ services: new Set(form.getAll('service')) }));
  userForm('engangslosenord', 'form', (req, id) => orderOneTimePassword(req, id), 'engangslosenord');
  userForm('avsluta', 'form', (req, id) => setActive(req, id, false), 'avslut');
  userForm('angra-avslut', 'form', (req, id) => setActive(req, id, true), 'angrat');

  return router;
}
