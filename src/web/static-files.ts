import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { WebContext, WebState } from './web-context.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/**
 * The pages' one script and one style sheet, read once at start: a fixed list, so no path from a
 * request ever reaches the file system.
 */
export function staticFiles(): Router<WebState> {
  const router = new Router<WebState>();
  for (const name of ['app.js', 'style.css', 'favicon.svg']) {
    const body = fs.readFileSync(path.join(DIR, name));
    router.get(`/static/${name}`, (ctx: WebContext) => {
      ctx.type = TYPES[path.extname(name)];
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = body;
    });
  }
  return router;
}
