import type { ComponentChildren } from 'preact';
import { CSRF_FIELD } from '../csrf.ts';

export interface PageFrame {
  title: string;
  csrf: string;
  /** The signed-in admin's username, when there is one: the menu, sign-out and the inactivity watch. */
  signedInAs?: string;
  /** Seconds before the idle timeout when the pages ask whether to stay. */
  warningSeconds: number;
  /** Which menu entry is the current page. */
  current?: 'users' | 'new' | 'admins';
}

const MENU: { key: NonNullable<PageFrame['current']>; href: string; text: string }[] = [
  { key: 'users', href: '/', text: 'Användare' },
  { key: 'new', href: '/anvandare/ny', text: 'Lägg till användare' },
  { key: 'admins', href: '/administratorer', text: 'Behörighetsadministratörer' },
];

/** The hidden field every form carries (SPEC §6.5). */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}

/**
 * Every page: Swedish, one h1 in main, a skip link, the menu when signed in, the network banner and
 * the inactivity dialog (both hidden until the script shows them; without script the forms work and
 * the server still ends an idle session).
 */
export function Layout({ frame, children }: { frame: PageFrame; children: ComponentChildren }) {
  const signedIn = frame.signedInAs !== undefined;
  return (
    <html lang="sv">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content={frame.csrf} />
        <title>{`${frame.title} – Behörighetsverktyget`}</title>
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script src="/static/app.js" defer></script>
      </head>
      <body data-signed-in={signedIn ? 'true' : 'false'} data-warning-seconds={String(frame.warningSeconds)}>
        <a class="skip" href="#innehall">Hoppa till innehållet</a>
        <header class="top">
          <p class="brand"><a href="/">Behörighetsverktyget</a> <span>Mina tjänster</span></p>
          {signedIn && (
            <div class="account">
              <span>Inloggad som <strong>{frame.signedInAs}</strong></span>
              <form method="post" action="/logga-ut">
                <CsrfField token={frame.csrf} />
                <button type="submit" class="link">Logga ut</button>
              </form>
            </div>
          )}
          {signedIn && (
            <nav aria-label="Huvudmeny">
              <ul>
                {MENU.map((item) => (
                  <li><a href={item.href} aria-current={frame.current === item.key ? 'page' : undefined}>{item.text}</a></li>
                ))}
                <li><a href="/anvandare.csv" download>Ta ut lista med användare</a></li>
              </ul>
            </nav>
          )}
        </header>
        <div id="natverk" class="banner" role="status" aria-live="polite" hidden>
          <p><strong>Problem med nätverket</strong> — Inget internet. Kontrollera din nätverksanslutning.</p>
        </div>
        <main id="innehall" tabindex={-1}>
          <h1>{frame.title}</h1>
          {children}
        </main>
        {signedIn && (
          <dialog id="inaktiv" role="alertdialog" aria-modal="true" aria-labelledby="inaktiv-rubrik" aria-describedby="inaktiv-text">
            <h2 id="inaktiv-rubrik">Vill du stanna kvar på sidan?</h2>
            <p id="inaktiv-text">Du har varit inaktiv i en längre stund och kommer att bli utloggad om du inte väljer att stanna kvar på sidan.</p>
            <p aria-live="polite" aria-atomic="true">Automatisk utloggning sker om cirka <span id="nedrakning">2 minuter</span>.</p>
            <button type="button" id="stanna">Stanna kvar på sidan</button>
          </dialog>
        )}
      </body>
    </html>
  );
}

/** A message above a page's content: what just happened, or what went wrong. */
export function Notice({ kind, children, id }: { kind: 'ok' | 'error' | 'info'; children: ComponentChildren; id?: string }) {
  const role = kind === 'error' ? 'alert' : 'status';
  return <div id={id} class={`notice ${kind}`} role={role}>{children}</div>;
}
