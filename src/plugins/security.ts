import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { pgRateLimitStore } from './rate-limit-store.js';

/**
 * Security headers. The CSP allows only our own scripts and styles: htmx 4 works under it because
 * it is loaded from /assets, its indicator CSS is turned off (app.css has it) and no template
 * uses hx-on or js: expressions, which would need 'unsafe-eval'.
 */
export default fp(
  async (app) => {
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'self'"],
          frameSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
        },
      },
      // Same-origin PDFs and images are previewed in frames of our own pages.
      frameguard: { action: 'sameorigin' },
      hsts: app.config.cookieSecure,
      crossOriginEmbedderPolicy: false,
    });
    // Only routes that opt in (the sign-in form) are limited. The counters live in the database,
    // so the limit holds across every instance behind a load balancer.
    await app.register(rateLimit, { global: false, store: pgRateLimitStore(app.database.db) });
  },
  { name: 'security' },
);
