import { validateHeaderName, validateHeaderValue } from 'node:http';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, UnauthorizedError } from '../lib/errors.js';
import { localeFromAcceptLanguage, translator } from '../i18n/index.js';
import { isTransient } from '../lib/pg-errors.js';

interface Shown {
  status: number;
  key: string;
  params?: Record<string, string | number>;
}

const BAD_REQUEST: Shown = { status: 400, key: 'errors.badRequest.text' };
const TOO_LARGE: Shown = { status: 413, key: 'errors.tooLarge.text' };
const BAD_UPLOAD: Shown = { status: 400, key: 'errors.badUpload.text' };

// Fastify's own errors (and its plugins') by code, mapped to what the user is told.
const FASTIFY_ERRORS: Record<string, Shown> = {
  FST_ERR_CTP_BODY_TOO_LARGE: TOO_LARGE,
  FST_REQ_FILE_TOO_LARGE: TOO_LARGE,
  FST_FILES_LIMIT: TOO_LARGE,
  FST_PARTS_LIMIT: TOO_LARGE,
  FST_FIELDS_LIMIT: TOO_LARGE,
  FST_CSRF_INVALID_TOKEN: { status: 403, key: 'errors.csrf' },
  FST_CSRF_MISSING_SECRET: { status: 403, key: 'errors.csrf' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, key: 'errors.badRequest.text' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: BAD_REQUEST,
  FST_ERR_CTP_EMPTY_JSON_BODY: BAD_REQUEST,
  FST_ERR_CTP_INVALID_JSON_BODY: BAD_REQUEST,
  FST_ERR_BAD_URL: { status: 400, key: 'errors.badUrl.text' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, key: 'errors.badUrl.text' },
  FST_ERR_ASYNC_CONSTRAINT: BAD_REQUEST,
  FST_INVALID_MULTIPART_CONTENT_TYPE: BAD_UPLOAD,
  FST_PROTO_VIOLATION: BAD_REQUEST,
  ERR_INVALID_CHAR: BAD_REQUEST,
  ERR_INVALID_URI: BAD_REQUEST,
};

// busboy's refusals of a malformed multipart body carry no code, only these messages.
const MALFORMED_UPLOAD = /^(Multipart: Boundary not found|Unexpected end of (form|file)|Malformed part header|Malformed urlencoded form|Unsupported content type)/i;

function validationShown(err: FastifyError): Shown {
  const where = err.validationContext;
  const first = err.validation?.[0] as { instancePath?: string; params?: { missingProperty?: string } } | undefined;
  const name = (first?.instancePath ?? '').replace(/^\//, '').split('/')[0] || first?.params?.missingProperty || '?';
  // A path that cannot name a record is a bad link (400); a query or form value out of shape, 422.
  if (where === 'params') return { status: 400, key: 'errors.badParam.text', params: { name } };
  return { status: 422, key: where === 'body' ? 'errors.badField.text' : 'errors.badParam.text', params: { name } };
}

function classify(err: FastifyError): Shown {
  if (err instanceof AppError) return { status: err.status, key: err.messageKey, params: err.params };
  if (err.code && FASTIFY_ERRORS[err.code]) return FASTIFY_ERRORS[err.code];
  // Another user's transaction on the same records won (a deadlock, say): this one was rolled
  // back whole, so say so and let the user repeat it, rather than a server error.
  if (isTransient(err)) return { status: 409, key: 'errors.busy.text' };
  if (err.validation) return validationShown(err);
  if (typeof err.message === 'string' && MALFORMED_UPLOAD.test(err.message)) return BAD_UPLOAD;
  // Any other refusal of the multipart parser is a malformed upload too, not a server fault.
  if (typeof err.stack === 'string' && /node_modules\/(@fastify\/busboy|busboy|@fastify\/multipart)\//.test(err.stack)) return BAD_UPLOAD;
  if (err instanceof URIError) return BAD_REQUEST;
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

// Headers a successful answer had set that must not go out with an error page.
const DROPPED_ON_ERROR = ['location', 'content-disposition', 'hx-redirect', 'etag', 'content-length', 'cache-control'];

export async function renderError(req: FastifyRequest, reply: FastifyReply, shown: Shown) {
  // Errors before the request hooks ran (a malformed URL) have no locale yet.
  req.t ??= translator(localeFromAcceptLanguage(req.headers['accept-language']));
  for (const h of DROPPED_ON_ERROR) reply.removeHeader(h);
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

/** The last word on any error: a localized page, or plain text when even that fails; never Fastify's JSON. */
export async function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof UnauthorizedError) return loginRedirect(req, reply);
  const shown = classify(err);
  if (shown.status >= 500) req.log.error({ err }, 'request failed');
  else req.log.info({ code: err.code, status: shown.status, key: shown.key }, 'request refused');
  if (reply.sent || reply.raw.headersSent) return;
  try {
    return await renderError(req, reply, shown);
  } catch (renderErr) {
    // The error page itself failed: say so plainly, still without internals.
    req.log.error({ err: renderErr }, 'error page failed');
    const t = translator(req.locale ?? 'ru');
    return reply.code(shown.status).type('text/plain; charset=utf-8').send(t(shown.key, shown.params));
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Errors Fastify raises before routing (a malformed URL such as `/%`): the request and reply are
 * bare there (no session, no decorators, no templates), so the same localized message is written
 * as a small page of its own; never Fastify's JSON.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const shown = classify(err);
  req.log.info({ code: err.code, status: shown.status }, 'request refused before routing');
  const locale = localeFromAcceptLanguage(req.headers['accept-language']);
  const t = translator(locale);
  const title = escapeHtml(t(TITLES[shown.status] ?? 'errors.badRequest.title'));
  const message = escapeHtml(t(shown.key, shown.params));
  const flash = `<div class="flash flash-error" role="alert"><strong>${title}.</strong> ${message}</div>`;
  const html =
    req.headers['hx-request'] === 'true'
      ? flash
      : `<!doctype html>\n<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><link rel="stylesheet" href="/assets/app.css"></head>` +
        `<body><main class="content"><section class="error-page"><h1>${title}</h1><p>${message}</p><p><a href="/">${escapeHtml(t('errors.home'))}</a></p></section></main></body></html>`;
  if (req.headers['hx-request'] === 'true') reply.header('HX-Retarget', '#flash').header('HX-Reswap', 'innerHTML');
  reply.code(shown.status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/** A header value Node would refuse at write time (ERR_INVALID_CHAR) is caught here, where the error handler still can answer. */
function checkHeaders(reply: FastifyReply) {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined) continue;
    try {
      validateHeaderName(name);
      for (const v of [value].flat()) validateHeaderValue(name, String(v));
    } catch (err) {
      reply.removeHeader(name);
      throw Object.assign(new Error(`header ${name} has a value no HTTP header can carry`), { cause: err });
    }
  }
}

export default fp(
  async (app) => {
    app.setErrorHandler(handleError);
    app.setNotFoundHandler(async (req, reply) => renderError(req, reply, { status: 404, key: 'errors.notFound.text' }));
    app.addHook('onSend', async (_req, reply) => checkHeaders(reply));
  },
  { name: 'errors', dependencies: ['render'] },
);
