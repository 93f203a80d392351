import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/** Query parameters never written to the log: the multipart forms' CSRF token rides in the URL. */
const SECRET_PARAMS = /([?&](?:_csrf|csrf|token|password)=)[^&#]*/gi;

/** The URL as logged: secrets in the query replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Fastify's logger options with the request serializer that redacts; `false` stays off. */
export function loggerOptions(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const base = typeof logger === 'object' ? logger : {};
  const serializers = (base as { serializers?: Record<string, unknown> }).serializers ?? {};
  return { ...base, serializers: { req: serializeRequest, ...serializers } } as FastifyServerOptions['logger'];
}
