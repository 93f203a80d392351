import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, UnauthorizedError } from '../lib/errors.js';
import { translator } from '../i18n/index.js';
import { wantsFragment } from './render.js';
import { isTransient } from '../lib/pg-errors.js';

interface Shown {
  status: number;
  key: string;
  params?: Record<string, string | number>;
}

// Fastify's own errors by code, mapped to what the user is told.
const FASTIFY_ERRORS: Record<string, Shown> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, key: 'errors.tooLarge.text' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, key: 'errors.tooLarge.text' },
  FST_FILES_LIMIT: { status: 413, key: 'errors.tooLarge.text' },
  FST_CSRF_INVALID_TOKEN: { status: 403, key: 'errors.csrf' },
  FST_CSRF_MISSING_SECRET: { status: 403, key: 'errors.csrf' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, key: 'errors.badRequest.text' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, key: 'errors.badRequest.text' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, key: 'errors.badRequest.text' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, key: 'errors.badRequest.text' },
};

function classify(err: FastifyError): Shown {
  if (err instanceof AppError) return { status: err.status, key: err.messageKey, params: err.params };
  if (err.code && FASTIFY_ERRORS[err.code]) return FASTIFY_ERRORS[err.code];
  // Another user's transaction on the same records won (a deadlock, say): this one was rolled
  // back whole, so say so and let the user repeat it, rather than a server error.
  if (isTransient(err)) return { status: 409, key: 'errors.busy.text' };
  if (err.validation) return { status: 422, key: 'errors.validation.text' };
  if (err.statusCode === 429) return { status: 429, key: 'errors.rateLimited.text' };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, key: err.statusCode === 404 ? 'errors.notFound.text' : 'errors.badRequest.text' };
  }
  return { status: 500, key: 'errors.server.text' };
}

const TITLES: Record<number, string> = {
  400: 'errors.badRequest.title',
  403: 'errors.forbidden.title',
  404: 'errors.notFound.title',
  409: 'errors.conflict.title',
  413: 'errors.tooLarge.title',
  415: 'errors.badRequest.title',
  422: 'errors.validation.title',
  429: 'errors.rateLimited.title',
  500: 'errors.server.title',
};

export async function renderError(req: FastifyRequest, reply: FastifyReply, shown: Shown) {
  req.t ??= translator('ru');
  const data = {
    status: shown.status,
    title: TITLES[shown.status] ?? 'errors.badRequest.title',
    message: req.t(shown.key, shown.params),
  };
  if (req.headers['hx-request'] === 'true') {
    // htmx swaps 4xx/5xx bodies: aim the message at the flash area instead of the target.
    reply.header('HX-Retarget', '#flash').header('HX-Reswap', 'innerHTML');
    return reply.fragment('errors/_message', data, shown.status);
  }
  return reply.page('errors/error', data, { status: shown.status });
}

function loginRedirect(req: FastifyRequest, reply: FastifyReply) {
  // After signing in the user comes back to the page, never to a POST target.
  const next = req.method === 'GET' ? req.url : '/';
  const url = `/login?next=${encodeURIComponent(next)}`;
  if (req.headers['hx-request'] === 'true') return reply.header('HX-Redirect', url).code(204).send();
  return reply.redirect(url, 303);
}

export default fp(
  async (app) => {
    app.setErrorHandler(async (err: FastifyError, req, reply) => {
      if (err instanceof UnauthorizedError) return loginRedirect(req, reply);
      const shown = classify(err);
      if (shown.status >= 500) req.log.error({ err }, 'request failed');
      else req.log.info({ code: err.code, status: shown.status, key: shown.key }, 'request refused');
      if (reply.sent) return;
      try {
        return await renderError(req, reply, shown);
      } catch (renderErr) {
        // The error page itself failed: say so plainly, still without internals.
        req.log.error({ err: renderErr }, 'error page failed');
        return reply.code(shown.status).type('text/plain; charset=utf-8').send(translator(req.locale ?? 'ru')('errors.server.text'));
      }
    });

    app.setNotFoundHandler(async (req, reply) => renderError(req, reply, { status: 404, key: 'errors.notFound.text' }));
  },
  { name: 'errors', dependencies: ['render'] },
);

export { wantsFragment };
