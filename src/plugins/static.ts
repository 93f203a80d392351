import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';

const require = createRequire(import.meta.url);
const HTMX_DIST = path.dirname(require.resolve('htmx.org/dist/htmx.min.js'));
const HTMX_VERSION: string = require('htmx.org/package.json').version;
const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');

/** htmx from node_modules under a versioned path, so it can be cached for a year. */
export const HTMX_URL = `/assets/vendor/htmx-${HTMX_VERSION}/htmx.min.js`;

export default fp(
  async (app) => {
    // Files are sent by our own routes (which declare their access) rather than by the plugin's.
    await app.register(fastifyStatic, { root: PUBLIC_DIR, serve: false });

    app.get(HTMX_URL, { config: { access: 'public' } }, (_req, reply) =>
      reply.header('Cache-Control', 'public, max-age=31536000, immutable').sendFile('htmx.min.js', HTMX_DIST),
    );
    // Browsers ask for it on their own; answer from the SVG icon instead of a 404 in every log.
    app.get('/favicon.ico', { config: { access: 'public' }, logLevel: 'warn' }, (_req, reply) =>
      reply.header('Cache-Control', 'public, max-age=86400').type('image/svg+xml').sendFile('favicon.svg', PUBLIC_DIR),
    );
    app.get<{ Params: { '*': string } }>('/assets/*', { config: { access: 'public' } }, (req, reply) =>
      // @fastify/send refuses paths that climb out of the root.
      reply.header('Cache-Control', 'public, max-age=3600').sendFile(req.params['*'], PUBLIC_DIR),
    );
  },
  { name: 'static', dependencies: ['access'] },
);
