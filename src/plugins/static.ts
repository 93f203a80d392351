import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { Type } from 'typebox';
import { NoQuery, SafeText, Word } from '../lib/schemas.js';

const require = createRequire(import.meta.url);
const HTMX_DIST = path.dirname(require.resolve('htmx.org/dist/htmx.min.js'));
const HTMX_VERSION: string = require('htmx.org/package.json').version;
const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');

/** htmx from node_modules under a versioned path, so it can be cached for a year. */
export const HTMX_URL = `/assets/vendor/htmx-${HTMX_VERSION}/htmx.min.js`;

const YEAR = 'public, max-age=31536000, immutable';
const HOUR = 'public, max-age=3600';

// The layout's own files, by the hash of their content: a changed file is a new URL.
const versions = new Map<string, string>();
for (const name of ['app.css', 'app.js', 'favicon.svg', 'print.css', 'print.js']) {
  versions.set(name, createHash('sha256').update(readFileSync(path.join(PUBLIC_DIR, name))).digest('hex').slice(0, 12));
}

/** The versioned URL of a file in public/ (cached for a year); unknown files get the plain URL. */
export function assetUrl(name: string): string {
  const v = versions.get(name);
  return v ? `/assets/${name}?v=${v}` : `/assets/${name}`;
}

const AssetParams = Type.Object({ '*': SafeText(200) });
const AssetQuery = Type.Object({ v: Type.Optional(Word(20)) });

export default fp(
  async (app) => {
    // Files are sent by our own routes (which declare their access) rather than by the plugin's;
    // `cacheControl: false`, or the plugin would overwrite the routes' Cache-Control with max-age=0.
    await app.register(fastifyStatic, { root: PUBLIC_DIR, serve: false, cacheControl: false });

    app.get(HTMX_URL, { config: { access: 'public' }, schema: { querystring: NoQuery } }, (_req, reply) => reply.header('Cache-Control', YEAR).sendFile('htmx.min.js', HTMX_DIST));
    // Browsers ask for it on their own; answer from the SVG icon instead of a 404 in every log.
    app.get('/favicon.ico', { config: { access: 'public' }, logLevel: 'warn', schema: { querystring: NoQuery } }, (_req, reply) =>
      reply.header('Cache-Control', 'public, max-age=86400').type('image/svg+xml').sendFile('favicon.svg', PUBLIC_DIR),
    );
    app.get<{ Params: { '*': string }; Querystring: { v?: string } }>(
      '/assets/*',
      { config: { access: 'public' }, schema: { params: AssetParams, querystring: AssetQuery } },
      (req, reply) => {
        const file = req.params['*'];
        const current = versions.get(file);
        // Only the URL of the current content is immutable; any other stays fresh for an hour.
        const cache = current && req.query.v === current ? YEAR : HOUR;
        // @fastify/send refuses paths that climb out of the root.
        return reply.header('Cache-Control', cache).sendFile(file, PUBLIC_DIR);
      },
    );
  },
  { name: 'static', dependencies: ['access'] },
);
