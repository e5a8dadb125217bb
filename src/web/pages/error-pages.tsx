import { Layout, Notice, type PageFrame } from './layout.tsx';

export function ErrorPage({ frame, message, requestId }: { frame: PageFrame; message: string; requestId?: string }) {
  return (
    <Layout frame={frame}>
      <Notice kind="error"><p>{message}</p></Notice>
      {requestId && <p>Ange felkoden <code>{requestId}</code> om du kontaktar CSN.</p>}
      <p><a href="/">Till startsidan</a></p>
    </Layout>
  );
}

export function SignedOutPage({ frame, reason }: { frame: PageFrame; reason: 'inaktiv' | 'utloggad' | 'avslutad' }) {
  const text = {
    inaktiv: 'Du har loggats ut automatiskt eftersom du varit inaktiv en längre stund.',
    utloggad: 'Du är utloggad.',
    avslutad: 'Din inloggning har upphört. Logga in igen för att fortsätta.',
  }[reason];
  return (
    <Layout frame={frame}>
      <Notice kind="info" id="utloggad-besked"><p>{text}</p></Notice>
      <p><a href="/logga-in">Logga in igen</a></p>
    </Layout>
  );
}
