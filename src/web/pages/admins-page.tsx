import { Layout, type PageFrame } from './layout.tsx';
import type { AdminRow } from '../../domain/administrators.ts';

/** "Behörighetsadministratörer": the organisation's admins and their usernames (SPEC §3.5). */
export function AdminsPage({ frame, admins }: { frame: PageFrame; admins: AdminRow[] }) {
  return (
    <Layout frame={frame} >
      <p>Behörighetsadministratörer registreras av CSN efter en undertecknad försäkran.</p>
      {admins.length === 0 ? <p>Organisationen har ingen behörighetsadministratör.</p> : (
        <table>
          <thead><tr><th scope="col">Användarnamn</th><th scope="col">Försäkran</th></tr></thead>
          <tbody>
            {admins.map((a) => (
              <tr>
                <td><a href={`/anvandare/${a.user_id}`}>{a.user_name}</a></td>
                <td>{a.declaration ? `${a.declaration.reference}, undertecknad ${a.declaration.signed_at}` : 'Registrerad före försäkringarna'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
