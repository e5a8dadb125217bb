import Router from '@koa/router';
import type { AppContext, AppState } from '../context.ts';
import { sendScim } from '../respond.ts';
import { readSchemaFile } from '../../scim/schema-files.ts';

export function discoveryRoutes(): Router<AppState> {
  const router = new Router<AppState>();
  const serviceProviderConfig = readSchemaFile('service-provider-config.json');
  router.get('/ServiceProviderConfig', (ctx: AppContext) => sendScim(ctx, 200, serviceProviderConfig));
  return router;
}
