import { CsrfField, Layout, Notice, type PageFrame } from './layout.tsx';
import { Field } from './fields.tsx';
import type { PersonalDetails, ServiceChoice, UserOverview } from '../../domain/user-administration.ts';
import { ADMIN_SERVICE } from '../../model/catalog.ts';
import { preferredEmail } from '../../domain/emails.ts';
import { CREDENTIAL_TEXT, STATUS_TEXT, formatTime, nameOf } from './words.ts';

/** Which part of a form the domain refused, so its words are shown next to it. */
export type FormPart = 'details' | 'userName' | 'services' | 'form';
export interface FormError {
  part: FormPart;
  message: string;
}

const errorFor = (error: FormError | undefined, part: FormPart): string | undefined => (error?.part === part ? error.message : undefined);

function NoServiceWarning({ hidden }: { hidden: boolean }) {
  return (
    <div id="ingen-tjanst" class="notice warning" role="status" aria-live="polite" hidden={hidden}>
      <p>Du har inte valt någon tjänst. Då skickas inget användarnamn och inget lösenord till användaren, och CSN tar bort användare som inte har någon tjänst.</p>
    </div>
  );
}

/**
 * The services as checkboxes (SPEC §6.5): one the admin may not change is disabled, with the
 * rule's own words as the reason; its checkbox sends nothing, so the form neither gives nor takes it.
 */
function ServiceBoxes({ choices, checked, error }: { choices: ServiceChoice[]; checked: Set<string>; error?: string }) {
  return (
    <fieldset class={error ? 'services invalid' : 'services'} data-services="true" aria-describedby={error ? 'tjanster-fel' : undefined}>
      <legend>Tjänster</legend>
      {error && <p id="tjanster-fel" class="field-error">{error}</p>}
      {choices.map(({ group, decision }) => {
        const id = `tjanst-${group.serviceCode}`;
        const reasonId = `${id}-skal`;
        return (
          <div class="choice">
            <input type="checkbox" id={id} name="service" value={group.id} checked={checked.has(group.id)}
              disabled={!decision.allowed} aria-describedby={decision.allowed ? undefined : reasonId} />
            <label for={id}>{group.displayName}</label>
            {!decision.allowed && <p id={reasonId} class="reason">{decision.detail}</p>}
          </div>
        );
      })}
    </fieldset>
  );
}

export interface NewUserForm {
  userName: string;
  details: PersonalDetails;
  services: Set<string>;
}

/** "Lägg till användare". */
export function NewUserPage({ frame, choices, form, error }: { frame: PageFrame; choices: ServiceChoice[]; form: NewUserForm; error?: FormError }) {
  // Behörighetsadministratör is registered by CSN after a declaration, never here (SPEC §3.5).
  const grantable = choices.filter((c) => c.group.serviceCode !== ADMIN_SERVICE);
  return (
    <Layout frame={frame} >
      {error && <Notice kind="error"><p>Användaren sparades inte. {error.message}</p></Notice>}
      <form method="post" action="/anvandare/ny" class="narrow" data-new-user="true">
        <CsrfField token={frame.csrf} />
        <fieldset>
          <legend>Uppgifter om användaren</legend>
          {errorFor(error, 'details') && <p class="field-error">{errorFor(error, 'details')}</p>}
          <Field label="Förnamn" name="givenName" value={form.details.givenName} autocomplete="off" />
          <Field label="Efternamn" name="familyName" value={form.details.familyName} autocomplete="off" />
          <Field label="E-postadress" name="email" type="email" value={form.details.email} autocomplete="off" describedBy="epost-hjalp" />
          <p id="epost-hjalp" class="hint">Engångslösenordet skickas hit.</p>
          <Field label="Användarnamn" name="userName" value={form.userName} autocomplete="off" describedBy="anvandarnamn-hjalp" error={errorFor(error, 'userName')} />
          <p id="anvandarnamn-hjalp" class="hint">Användarnamnet är unikt i hela Mina tjänster, till exempel e-postadressen.</p>
        </fieldset>
        <ServiceBoxes choices={grantable} checked={form.services} error={errorFor(error, 'services')} />
        <NoServiceWarning hidden={form.services.size > 0} />
        <p class="hint">När användaren får sin första tjänst skickas ett brev med användarnamnet till organisationens postadress och ett e-postmeddelande med ett engångslösenord till användaren.</p>
        <button type="submit">Spara användaren</button>
      </form>
    </Layout>
  );
}

const DONE: Record<string, string> = {
  skapad: 'Användaren är sparad.',
  uppgifter: 'Uppgifterna är sparade.',
  tjanster: 'Tjänsterna är sparade.',
  engangslosenord: 'Ett nytt engångslösenord skickas till användarens e-postadress. Det gäller i 72 timmar.',
  avslut: 'Användaren är inaktiverad och en begäran om avslut är skickad till CSN.',
  angrat: 'Begäran om avslut är ångrad och användaren är aktiv igen.',
};

/** What the first grant sends, said after saving (SPEC §3.4). */
function NextSteps({ overview }: { overview: UserOverview }) {
  if (overview.memberships.length === 0) {
    return <p>Användaren har ingen tjänst. Inget användarnamn eller lösenord skickas förrän användaren får en tjänst, och CSN tar bort användare som inte har någon tjänst.</p>;
  }
  return (
    <p>
      Ett brev med användarnamnet skickas till organisationens postadress, och ett e-postmeddelande med ett engångslösenord
      skickas till {preferredEmail(overview.user.data.emails)}. Med engångslösenordet väljer användaren ett eget lösenord.
    </p>
  );
}

function describeEvent(action: string): string {
  const known: Record<string, string> = {
    'user.create': 'Användaren skapades',
    'user.update': 'Uppgifterna ändrades',
    'group.members': 'Tjänsterna ändrades',
    'credentials.issue': 'Inloggningsuppgifter skickades',
    'otp.order': 'Engångslösenord beställdes',
    'otp.forgotten': 'Nytt engångslösenord begärdes (glömt lösenord)',
    'admin.grant': 'Registrerades som behörighetsadministratör',
    'admin.revoke': 'Avregistrerades som behörighetsadministratör',
    'login.locked': 'Inloggning medan kontot var låst',
    'login': 'Inloggning',
    'login.one-time-password': 'Inloggning med engångslösenord',
    'login.failure': 'Misslyckad inloggning',
    'login.lockout': 'Kontot låstes',
    'password.change': 'Lösenordet byttes',
    'termination.open': 'Avslut begärdes',
    'termination.cancel': 'Begäran om avslut ångrades',
  };
  return known[action] ?? action;
}

export interface UserPageState {
  done?: string;
  error?: FormError;
  /** What the admin typed in a refused details form, shown again. */
  details?: PersonalDetails;
  /** The services a refused services form asked for. */
  services?: Set<string>;
}

/** "En användare": details, services, one-time password, ending the user, history. */
export function UserPage({ frame, overview, choices, state }: { frame: PageFrame; overview: UserOverview; choices: ServiceChoice[]; state: UserPageState }) {
  const { user } = overview;
  const name = nameOf(user.data);
  const details = state.details ?? { ...name, email: preferredEmail(user.data.emails) ?? '' };
  const held = state.services ?? new Set(overview.memberships.map((m) => m.groupId));
  const base = `/anvandare/${user.id}`;
  return (
    <Layout frame={frame}>
      {state.done && DONE[state.done] && <Notice kind="ok" id="klart"><p>{DONE[state.done]}</p>{state.done === 'skapad' && <NextSteps overview={overview} />}</Notice>}
      {state.error && <Notice kind="error"><p>Ändringen sparades inte. {state.error.message}</p></Notice>}
      <dl class="facts">
        <dt>Användarnamn</dt><dd id="anvandarnamn">{user.userName}</dd>
        <dt>Status</dt><dd>{STATUS_TEXT[overview.status]}</dd>
        <dt>Inloggningsuppgifter</dt><dd>{CREDENTIAL_TEXT[user.credentialStatus] ?? user.credentialStatus}</dd>
        <dt>Skapad</dt><dd>{formatTime(user.created)}</dd>
      </dl>

      <section aria-labelledby="uppgifter-rubrik">
        <h2 id="uppgifter-rubrik">Personuppgifter</h2>
        <form method="post" action={`${base}/uppgifter`} class="narrow">
          <CsrfField token={frame.csrf} />
          {errorFor(state.error, 'details') && <p class="field-error">{errorFor(state.error, 'details')}</p>}
          <Field label="Förnamn" name="givenName" value={details.givenName} autocomplete="off" />
          <Field label="Efternamn" name="familyName" value={details.familyName} autocomplete="off" />
          <Field label="E-postadress" name="email" type="email" value={details.email} autocomplete="off" />
          <p class="hint">Det finns ingen automatisk koppling till Mina tjänster: en ändrad e-postadress behöver ändras där också.</p>
          <button type="submit">Spara uppgifterna</button>
        </form>
      </section>

      <section aria-labelledby="tjanster-rubrik">
        <h2 id="tjanster-rubrik">Tjänster</h2>
        <form method="post" action={`${base}/tjanster`}>
          <CsrfField token={frame.csrf} />
          <ServiceBoxes choices={choices} checked={held} error={errorFor(state.error, 'services')} />
          <NoServiceWarning hidden={held.size > 0} />
          <button type="submit">Spara tjänsterna</button>
        </form>
      </section>

      <section aria-labelledby="otp-rubrik">
        <h2 id="otp-rubrik">Engångslösenord</h2>
        <p>Har användaren glömt sitt lösenord kan du beställa ett nytt engångslösenord. Det skickas till användarens e-postadress; du ser det aldrig.</p>
        <form method="post" action={`${base}/engangslosenord`}>
          <CsrfField token={frame.csrf} />
          <button type="submit">Beställ engångslösenord</button>
        </form>
      </section>

      <section aria-labelledby="avsluta-rubrik">
        <h2 id="avsluta-rubrik">Avsluta användare</h2>
        <p>Det är bara CSN som kan avsluta en användare. Du kan inaktivera användaren; då kan användaren inte logga in och en begäran om avslut skickas till CSN.</p>
        {user.active ? (
          <form method="post" action={`${base}/avsluta`}>
            <CsrfField token={frame.csrf} />
            <button type="submit" class="danger">Inaktivera och begär avslut</button>
          </form>
        ) : (
          <>
            {overview.terminationOpenedAt && <p>Avslut begärdes {formatTime(overview.terminationOpenedAt)}. CSN har inte hanterat begäran än.</p>}
            <form method="post" action={`${base}/angra-avslut`}>
              <CsrfField token={frame.csrf} />
              <button type="submit">{overview.terminationOpenedAt ? 'Ångra begäran om avslut' : 'Aktivera användaren'}</button>
            </form>
          </>
        )}
      </section>

      <section aria-labelledby="historik-rubrik">
        <h2 id="historik-rubrik">Historik</h2>
        {overview.history.length === 0 ? <p>Ingen historik.</p> : (
          <table>
            <caption class="visually-hidden">Händelser för användaren, nyast först</caption>
            <thead><tr><th scope="col">Tid</th><th scope="col">Händelse</th><th scope="col">Utförd av</th></tr></thead>
            <tbody>
              {overview.history.map((event) => (
                <tr><td>{formatTime(new Date(event.at))}</td><td>{describeEvent(event.action)}</td><td>{event.actor_subject}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}
