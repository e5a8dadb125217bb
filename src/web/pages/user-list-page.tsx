import { Layout, Notice, type PageFrame } from './layout.tsx';
import type { UserQuery, UserSort, UserSummary } from '../../domain/user-administration.ts';
import { ADMIN_SERVICE } from '../../model/catalog.ts';
import { preferredEmail } from '../../domain/emails.ts';
import { CREDENTIAL_TEXT, STATUS_TEXT, nameOf } from './words.ts';

const SORT_TEXT: Record<UserSort, string> = {
  'userName': 'Användarnamn',
  'name.familyName': 'Efternamn',
  'name.givenName': 'Förnamn',
  'meta.created': 'Skapad',
};

function pageHref(query: UserQuery, page: number): string {
  const params = new URLSearchParams();
  if (query.search) params.set('sok', query.search);
  if (query.sort !== 'userName') params.set('sortering', query.sort);
  if (query.descending) params.set('ordning', 'fallande');
  if (page > 1) params.set('sida', String(page));
  const text = params.toString();
  return text ? `/?${text}` : '/';
}

const count = new Intl.NumberFormat('sv-SE');

/** "Användare", the start page: the organisation's users, searchable, sortable, a page at a time. */
export function UserListPage({ frame, query, users, total, notice }: { frame: PageFrame; query: UserQuery; users: UserSummary[]; total: number; notice?: string }) {
  const pages = Math.max(1, Math.ceil(total / query.pageSize));
  return (
    <Layout frame={frame}>
      {notice && <Notice kind="ok"><p>{notice}</p></Notice>}
      <form method="get" action="/" class="search" role="search" aria-label="Sök användare">
        <div class="field">
          <label for="sok">Sök på namn, användarnamn eller e-post</label>
          <input id="sok" name="sok" type="search" value={query.search} />
        </div>
        <div class="field">
          <label for="sortering">Sortera efter</label>
          <select id="sortering" name="sortering">
            {Object.entries(SORT_TEXT).map(([value, text]) => <option value={value} selected={query.sort === value}>{text}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="ordning">Ordning</label>
          <select id="ordning" name="ordning">
            <option value="stigande" selected={!query.descending}>Stigande</option>
            <option value="fallande" selected={query.descending}>Fallande</option>
          </select>
        </div>
        <button type="submit">Sök</button>
      </form>
      <p id="antal">{total === 1 ? '1 användare' : `${count.format(total)} användare`}{query.search ? ` som matchar ”${query.search}”` : ''}.</p>
      {users.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Organisationens användare, sida {query.page} av {pages}</caption>
            <thead>
              <tr><th scope="col">Namn</th><th scope="col">Användarnamn</th><th scope="col">E-post</th><th scope="col">Tjänster</th><th scope="col">Status</th><th scope="col">Inloggningsuppgifter</th></tr>
            </thead>
            <tbody>
              {users.map(({ user, memberships, status }) => {
                const name = nameOf(user.data);
                const isAdmin = memberships.some((m) => m.serviceCode === ADMIN_SERVICE);
                const full = `${name.givenName} ${name.familyName}`.trim() || user.userName;
                return (
                  <tr>
                    <th scope="row"><a href={`/anvandare/${user.id}`}>{full}</a>{isAdmin && <span class="badge"> Behörighetsadministratör</span>}</th>
                    <td>{user.userName}</td>
                    <td>{preferredEmail(user.data.emails) ?? ''}</td>
                    <td>{memberships.filter((m) => m.serviceCode !== ADMIN_SERVICE).map((m) => m.displayName).join(', ')}</td>
                    <td>{STATUS_TEXT[status]}</td>
                    <td>{CREDENTIAL_TEXT[user.credentialStatus] ?? user.credentialStatus}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 && (
        <nav aria-label="Sidor" class="paging">
          {query.page > 1 && <a href={pageHref(query, query.page - 1)} rel="prev">Föregående sida</a>}
          <span>Sida {query.page} av {count.format(pages)}</span>
          {query.page < pages && <a href={pageHref(query, query.page + 1)} rel="next">Nästa sida</a>}
        </nav>
      )}
    </Layout>
  );
}
