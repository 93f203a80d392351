import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.js';
import { ACCESS_LEVELS, allows, type Access } from '../lib/access.js';

/**
 * Every route must say who may use it (`config.access`); a route without it stops the boot, so
 * nothing is public by accident. The check runs in onRequest, before the body is even parsed.
 */
export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
  /** The route's declared schemas (params, querystring, body): the route tests check and fuzz them. */
  schema: { params?: unknown; querystring?: unknown; body?: unknown };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access level; the route-access test walks it. */
    routeTable: RouteEntry[];
  }
}

export default fp(
  async (app) => {
    const table: RouteEntry[] = [];
    app.decorate('routeTable', table);
    app.addHook('onRoute', (route) => {
      const access = (route.config as { access?: unknown } | undefined)?.access;
      if (!ACCESS_LEVELS.includes(access as Access)) {
        throw new Error(`Route ${route.method} ${route.url} declares no valid config.access`);
      }
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') table.push({ method, url: route.url, access: access as Access, schema: (route.schema ?? {}) as RouteEntry['schema'] });
      }
    });

    app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
      const access = req.routeOptions.config.access;
      // Unmatched URLs (404 handler) carry no access; they reveal nothing, so let them through.
      if (!access || access === 'public') return;
      if (!req.user) throw new UnauthorizedError();
      if (!allows(access, req.user.role)) throw new ForbiddenError();
    });
  },
  { name: 'access', dependencies: ['auth'] },
);
