import type { AppContext } from '../context.ts';

/** The audit trail's view of who made a request. */
export function actorOf(ctx: AppContext) {
  const principal = ctx.state.principal!;
  return { actorSubject: principal.subject, actorRole: principal.role, requestId: ctx.state.requestId };
}
