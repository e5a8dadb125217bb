import { CsrfField, Layout, Notice, type PageFrame } from './layout.tsx';
import { Field } from './fields.tsx';
import { PasswordRules } from './password-rules.tsx';

export function SignInPage({ frame, error, userName, notice }: { frame: PageFrame; error?: string; userName?: string; notice?: string }) {
  return (
    <Layout frame={frame}>
      {notice && <Notice kind="ok"><p>{notice}</p></Notice>}
      {error && <Notice kind="error"><p>{error}</p></Notice>}
      <form method="post" action="/logga-in" class="narrow">
        <CsrfField token={frame.csrf} />
        <Field label="Användarnamn" name="userName" value={userName} autocomplete="username" />
        <Field label="Lösenord" name="password" type="password" autocomplete="current-password" />
        <button type="submit">Logga in</button>
      </form>
      <p><a href="/losenord">Ändra eller beställ nytt lösenord</a></p>
    </Layout>
  );
}

export interface PasswordPageState {
  changeError?: string;
  changed?: boolean;
  ordered?: boolean;
  userName?: string;
}

/** "Ändra eller beställ nytt lösenord": the two choices of the portal's sign-in help. */
export function PasswordPage({ frame, state }: { frame: PageFrame; state: PasswordPageState }) {
  return (
    <Layout frame={frame}>
      {state.changed && <Notice kind="ok"><p>Ditt lösenord är ändrat. <a href="/logga-in">Logga in</a> med ditt nya lösenord.</p></Notice>}
      {state.ordered && (
        <Notice kind="ok">
          <p>Om användarnamnet finns och har en e-postadress skickas ett nytt engångslösenord dit. Det gäller i 72 timmar.</p>
        </Notice>
      )}
      <section aria-labelledby="andra-rubrik">
        <h2 id="andra-rubrik">Vill du ändra ditt lösenord?</h2>
        {state.changeError && <Notice kind="error"><p>{state.changeError}</p></Notice>}
        <form method="post" action="/losenord/andra" class="narrow">
          <CsrfField token={frame.csrf} />
          <Field label="Användarnamn" name="userName" value={state.userName} autocomplete="username" />
          <Field label="Nuvarande lösenord" name="currentPassword" type="password" autocomplete="current-password" />
          <PasswordRules id="regler-andra" />
          <Field label="Nytt lösenord" name="newPassword" type="password" autocomplete="new-password" describedBy="regler-andra" />
          <Field label="Upprepa nytt lösenord" name="repeatPassword" type="password" autocomplete="new-password" />
          <button type="submit">Ändra lösenord</button>
        </form>
      </section>
      <section aria-labelledby="glomt-rubrik">
        <h2 id="glomt-rubrik">Har du glömt ditt lösenord eller fungerar det inte?</h2>
        <p>Ange ditt användarnamn så skickar vi ett nytt engångslösenord till din e-postadress. Med det väljer du ett nytt lösenord.</p>
        <form method="post" action="/losenord/glomt" class="narrow">
          <CsrfField token={frame.csrf} />
          <Field label="Användarnamn" name="userName" autocomplete="username" />
          <button type="submit">Beställ nytt lösenord</button>
        </form>
      </section>
    </Layout>
  );
}

/** "Byt engångslösenord": the page the e-mail links to, for admins and for the portal's users alike. */
export function OneTimePasswordPage({ frame, error, userName }: { frame: PageFrame; error?: string; userName?: string }) {
  return (
    <Layout frame={frame}>
      <p>Du har fått ett engångslösenord med e-post. Välj här ditt eget lösenord; engångslösenordet kan bara användas en gång.</p>
      {error && <Notice kind="error" id="losenord-fel"><p>{error}</p></Notice>}
      <form method="post" action="/byt-engangslosenord" class="narrow">
        <CsrfField token={frame.csrf} />
        <Field label="Användarnamn" name="userName" value={userName} autocomplete="username" />
        <Field label="Engångslösenord" name="oneTimePassword" type="password" autocomplete="one-time-code" />
        <PasswordRules id="regler-byt" />
        <Field label="Nytt lösenord" name="newPassword" type="password" autocomplete="new-password" describedBy="regler-byt" />
        <Field label="Upprepa nytt lösenord" name="repeatPassword" type="password" autocomplete="new-password" />
        <button type="submit">Byt lösenord</button>
      </form>
    </Layout>
  );
}

/** A person signed in who is not a permission administrator: the portal's users come here only for their password. */
export function NotAdminPage({ frame }: { frame: PageFrame }) {
  return (
    <Layout frame={frame}>
      <p>Du är inloggad, men du är inte behörighetsadministratör. Här kan du bara byta ditt lösenord; dina e-tjänster finns i Mina tjänster.</p>
      <p><a href="/losenord">Ändra eller beställ nytt lösenord</a></p>
      <form method="post" action="/logga-ut">
        <CsrfField token={frame.csrf} />
        <button type="submit">Logga ut</button>
      </form>
    </Layout>
  );
}
