import type { Config } from '../config/config.ts';
import { apiClient, type ApiCall } from './api-client.ts';

export interface CliContext {
  config: Config;
  baseUrl: string;
  /** The operator API client, created on first use so commands that need no server work without a key. */
  api: () => ApiCall;
}

export function cliContext(config: Config, env: NodeJS.ProcessEnv): CliContext {
  const baseUrl = env.IDM_URL || 'http://127.0.0.1:8080';
  let client: ApiCall | undefined;
  return {
    config,
    baseUrl,
    api: () => (client ??= apiClient(config, baseUrl, env.IDM_OPERATOR || `idm:${env.USER || 'operator'}`)),
  };
}
