import type { Config } from '../config/index.js';

/**
 * Whether the admin surface is on. Kept apart from admin/index.ts so that deciding costs
 * nothing: the surface itself (node:http, node:crypto, prom-client) loads only when it is.
 */
export function adminConfigured(config: Pick<Config, 'adminListen' | 'adminPath'>): boolean {
  return config.adminListen !== undefined || config.adminPath !== undefined;
}
