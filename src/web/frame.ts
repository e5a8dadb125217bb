import type { WebContext, WebDeps } from './web-context.ts';
import type { PageFrame } from './pages/layout.tsx';

/** The frame of a page in this request: its title, the form token, who is signed in. */
export function frameOf(ctx: WebContext, deps: WebDeps, title: string, current?: PageFrame['current']): PageFrame {
  const principal = ctx.state.session?.principal;
  return {
    title,
    csrf: ctx.state.csrf,
    signedInAs: principal?.role === 'admin' && !principal.session?.passwordChangeOnly ? principal.subject : undefined,
    warningSeconds: deps.config.sessionWarningSeconds,
    current,
  };
}
