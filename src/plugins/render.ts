import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { allows, type Access } from '../lib/access.js';
import type { StoredSessionData } from './session-store.js';
import { HTMX_URL, assetUrl } from './static.js';
import { dateFormatters } from '../i18n/index.js';

export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

type FlashKind = NonNullable<StoredSessionData['flash']>[number]['kind'];

export interface PageOptions {
  /** The fragment template an htmx request gets instead of the whole page. */
  fragment?: string;
  status?: number;
}

declare module 'fastify' {
  interface FastifyReply {
    /** Renders `view` inside the layout, or only `opts.fragment` for an htmx partial request. */
    page(view: string, data?: Record<string, unknown>, opts?: PageOptions): Promise<FastifyReply>;
    /** Renders one template without the layout (fragments, print pages with their own layout). */
    fragment(view: string, data?: Record<string, unknown>, status?: number): Promise<FastifyReply>;
    /** Redirect after a successful POST: 303 for plain forms, HX-Redirect for htmx. */
    seeOther(url: string): FastifyReply;
    flash(kind: FlashKind, key: string, params?: Record<string, string | number>): void;
  }
}

/**
 * An htmx request that targets part of the page gets the fragment; a full-page htmx request
 * (boosted navigation, hx-select, history restore) and a plain request get the whole page.
 */
export function wantsFragment(req: FastifyRequest): boolean {
  return (
    req.headers['hx-request'] === 'true' &&
    req.headers['hx-request-type'] !== 'full' &&
    req.headers['hx-history-restore-request'] !== 'true'
  );
}

// Kept here for the routes that import it from the render plugin.
export { safeNext } from '../lib/next.js';

function commonData(req: FastifyRequest, reply: FastifyReply) {
  return {
    t: req.t,
    locale: req.locale,
    ...dateFormatters(req.locale),
    user: req.user,
    url: req.url,
    // No session yet when the URL itself was refused before routing (the error page then has no forms).
    csrfToken: req.session ? reply.generateCsrf() : '',
    htmxUrl: HTMX_URL,
    asset: assetUrl,
    can: (access: Access) => allows(access, req.user?.role),
  };
}

/**
 * The layout's "My jobs" count, and a flash for each of the user's jobs that finished since their
 * last page (each said once).
 */
async function jobsInfo(req: FastifyRequest) {
  const jobs = req.server.jobs;
  const info = await jobs.pageInfo(req.user!.id);
  // Told that a job finished, the user goes to see what it wrote (read-your-writes, plugins/replica.ts).
  if (info.finished.length) req.wrote = true;
  const flash = info.finished.map((j) => {
    const def = jobs.kind(j.kind);
    const title = def ? req.t(def.title, j.titleParams as Record<string, string | number>) : j.kind;
    return { kind: (j.state === 'done' ? 'success' : j.state === 'failed' ? 'error' : 'info') as FlashKind, key: `jobs.flash.${j.state}`, params: { title }, link: `/jobs/${j.id}` };
  });
  return { running: info.running, flash };
}

export default fp(
  async (app) => {
    const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, autoTrim: false, cache: true });
    await app.register(view, {
      engine: { eta },
      root: VIEWS_DIR,
      viewExt: 'eta',
      // Templates are compiled once; restart to pick up edits (no behaviour hangs on NODE_ENV).
      production: true,
    });

    // Pages carry the session's CSRF token and, signed in, the directory itself: never kept by a
    // browser or a proxy. Routes that set their own Cache-Control (files, static assets) keep it.
    app.addHook('onSend', async (_req, reply) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/html') && !reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-store');
    });

    app.decorateReply('flash', function (this: FastifyReply, kind: FlashKind, key: string, params?: Record<string, string | number>) {
      const s = this.request.session;
      if (!s) return;
      s.flash = [...(s.flash ?? []), { kind, key, params }];
    });

    app.decorateReply('seeOther', function (this: FastifyReply, url: string) {
      if (this.request.headers['hx-request'] === 'true') {
        return this.header('HX-Redirect', url).code(204).send();
      }
      return this.redirect(url, 303);
    });

    app.decorateReply('fragment', async function (this: FastifyReply, view: string, data: Record<string, unknown> = {}, status = 200) {
      const html = await this.viewAsync(view, { ...commonData(this.request, this), ...data });
      return this.code(status).header('Vary', 'HX-Request').type('text/html; charset=utf-8').send(html);
    });

    app.decorateReply('page', async function (this: FastifyReply, viewName: string, data: Record<string, unknown> = {}, opts: PageOptions = {}) {
      const req = this.request;
      const status = opts.status ?? 200;
      if (opts.fragment && wantsFragment(req)) return this.fragment(opts.fragment, data, status);
      const flash = req.session?.flash ?? [];
      if (req.session && flash.length) req.session.flash = [];
      const jobs = req.user && req.server.jobs ? await jobsInfo(req) : null;
      if (jobs) flash.push(...jobs.flash);
      const html = await this.viewAsync(viewName, { ...commonData(req, this), flash, jobsRunning: jobs?.running ?? 0, ...data }, { layout: 'layouts/app' });
      return this.code(status).header('Vary', 'HX-Request').type('text/html; charset=utf-8').send(html);
    });
  },
  { name: 'render', dependencies: ['auth', 'replica'] },
);
