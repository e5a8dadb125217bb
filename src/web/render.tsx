import type { VNode } from 'preact';
import { render } from 'preact-render-to-string';
import type { WebContext } from './web-context.ts';

/**
 * Sends a page: preact renders the JSX to a string, escaping every value it is given (a user named
 * `<script>` is text), and nothing here builds HTML by hand.
 */
export function sendPage(ctx: WebContext, status: number, page: VNode): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!DOCTYPE html>\n${render(page)}`;
}
