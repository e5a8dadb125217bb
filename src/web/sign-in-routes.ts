import Router from '@koa/router';
import { changePassword, forgotPassword, login, logout, sessionDeadline } from '../domain/sign-in.ts';
import type { AuthRequest } from '../domain/sign-in-attempt.ts';
import { scryptHasher } from '../domain/password-hash.ts';
import type { WebContext, WebDeps, WebState } from './web-context.ts';
import { field, readForm, secretField } from './form-body.ts';
import { renewCsrf } from './csrf.ts';
import { endSessionCookie, sessionToken, startSession } from './session.ts';
import { sendPage } from './render.tsx';
import { frameOf } from './frame.ts';
import { pageFailureOf } from './failures.ts';
import { PageError } from './page-error.ts';
import { OneTimePasswordPage, PasswordPage, SignInPage } from './pages/sign-in-pages.tsx';
import { SignedOutPage } from './pages/error-pages.tsx';

const MISMATCH = 'Det nya lösenordet och upprepningen är inte lika.';

/** A failure the form shows (the domain's words), or the error passed on to the error page. */
function formFailure(err: unknown): { status: number; message: string } {
  const failure = pageFailureOf(err);
  if (!failure || failure.status === 429) throw err;
  return failure;
}

/**
 * Signing in and out, and the password pages (SPEC §6.2, §6.5), over the same domain functions as
 * /auth: the same cost and words for every failed sign-in, the same lockout, the same limit per
 * client address.
 */
export function signInRoutes(deps: WebDeps): Router<WebState> {
  const router = new Router<WebState>();
  const hasher = deps.hasher ?? scryptHasher;
  const authRequest = (ctx: WebContext): AuthRequest => ({ repos: deps.repos, hasher, now: deps.now(), requestId: ctx.state.requestId });
  const limit = deps.authLimit;

  router.get('/logga-in', (ctx: WebContext) => {
    if (ctx.state.session) return ctx.redirect('/');
    const notice = ctx.query.klart === 'bytt' ? 'Ditt lösenord är bytt. Logga in med ditt nya lösenord.' : undefined;
    sendPage(ctx, 200, SignInPage({ frame: frameOf(ctx, deps, 'Logga in'), notice }));
  });

  router.post('/logga-in', limit, async (ctx: WebContext) => {
    const form = await readForm(ctx);
    const userName = field(form, 'userName');
    try {
      const result = await login(authRequest(ctx), userName, secretField(form, 'password'), deps.sessions);
      startSession(ctx, result.token);
      renewCsrf(ctx);
      ctx.redirect(result.passwordChangeOnly ? '/byt-engangslosenord' : '/');
    } catch (err) {
      const failure = formFailure(err);
      sendPage(ctx, failure.status, SignInPage({ frame: frameOf(ctx, deps, 'Logga in'), error: failure.message, userName }));
    }
  });

  router.post('/logga-ut', async (ctx: WebContext) => {
    if (ctx.state.session) await logout(deps.repos, ctx.state.session.principal, deps.now());
    endSessionCookie(ctx);
    ctx.redirect('/utloggad');
  });

  router.get('/utloggad', (ctx: WebContext) => {
    const reason = ctx.query.orsak === 'inaktiv' ? 'inaktiv' : ctx.query.orsak === 'avslutad' ? 'avslutad' : 'utloggad';
    sendPage(ctx, 200, SignedOutPage({ frame: frameOf(ctx, deps, 'Utloggad'), reason }));
  });

  const passwordTitle = 'Ändra eller beställ nytt lösenord';
  router.get('/losenord', (ctx: WebContext) => {
    sendPage(ctx, 200, PasswordPage({ frame: frameOf(ctx, deps, passwordTitle), state: { changed: ctx.query.klart === 'andrat' } }));
  });

  router.post('/losenord/andra', limit, async (ctx: WebContext) => {
    const form = await readForm(ctx);
    const userName = field(form, 'userName');
    const newPassword = secretField(form, 'newPassword');
    try {
      if (newPassword !== secretField(form, 'repeatPassword')) throw new PageError(400, MISMATCH);
      await changePassword(authRequest(ctx), { userName, currentPassword: secretField(form, 'currentPassword'), newPassword });
    } catch (err) {
      const failure = formFailure(err);
      return sendPage(ctx, failure.status, PasswordPage({ frame: frameOf(ctx, deps, passwordTitle), state: { changeError: failure.message, userName } }));
    }
    // A new password ends every session of the user, this one too.
    endSessionCookie(ctx);
    ctx.redirect('/losenord?klart=andrat');
  });

  router.post('/losenord/glomt', limit, async (ctx: WebContext) => {
    const form = await readForm(ctx);
    await forgotPassword(authRequest(ctx), field(form, 'userName'));
    // SPEC §6.2: the same answer whether or not the user exists.
    sendPage(ctx, 200, PasswordPage({ frame: frameOf(ctx, deps, passwordTitle), state: { ordered: true } }));
  });

  const otpTitle = 'Byt engångslösenord';
  router.get('/byt-engangslosenord', (ctx: WebContext) => {
    const principal = ctx.state.session?.principal;
    sendPage(ctx, 200, OneTimePasswordPage({ frame: frameOf(ctx, deps, otpTitle), userName: principal?.subject }));
  });

  router.post('/byt-engangslosenord', limit, async (ctx: WebContext) => {
    const form = await readForm(ctx);
    const userName = field(form, 'userName');
    const newPassword = secretField(form, 'newPassword');
    try {
      if (newPassword !== secretField(form, 'repeatPassword')) throw new PageError(400, MISMATCH);
      await changePassword(authRequest(ctx), { userName, oneTimePassword: secretField(form, 'oneTimePassword'), newPassword });
    } catch (err) {
      const failure = formFailure(err);
      return sendPage(ctx, failure.status, OneTimePasswordPage({ frame: frameOf(ctx, deps, otpTitle), error: failure.message, userName }));
    }
    endSessionCookie(ctx);
    ctx.redirect('/logga-in?klart=bytt');
  });

  /**
   * The inactivity watch of the pages (SPEC §6.5): when this session ends if nothing more happens.
   * Asking is not activity, so the answer is the same in every tab and the dialog can be trusted.
   */
  router.get('/session', async (ctx: WebContext) => {
    const token = sessionToken(ctx);
    const ends = token ? await sessionDeadline(deps.repos, token, deps.now(), deps.sessions) : undefined;
    ctx.body = ends
      ? { active: true, remainingSeconds: Math.max(0, Math.floor((ends.getTime() - deps.now().getTime()) / 1000)), warningSeconds: deps.config.sessionWarningSeconds }
      : { active: false };
  });

  /** "Stanna kvar på sidan": the request itself is the activity that moves the deadline (session.ts). */
  router.post('/session/stanna', async (ctx: WebContext) => {
    ctx.body = ctx.state.session ? { active: true } : { active: false };
  });

  return router;
}
