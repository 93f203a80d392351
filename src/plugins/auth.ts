import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import csrf from '@fastify/csrf-protection';
import { eq } from 'drizzle-orm';
import { users } from '../db/schema/users.js';
import { settings } from '../db/schema/settings.js';
import { PgSessionStore } from './session-store.js';
import { isLocale, localeFromAcceptLanguage, translator } from '../i18n/index.js';
import { ForbiddenError } from '../lib/errors.js';
import type { Db } from '../db/client.js';
import { settingText } from '../db/settings-text.js';

export const SESSION_COOKIE = 'sid';
export const LANG_COOKIE = 'lang';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Writing lastSeenAt on every request would cost a write per click; once a minute is precise enough.
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The cookie-signing secret: SESSION_SECRET when configured, else one generated on first start
 * and kept in the database, so every instance of the app shares it and restarts keep sessions.
 */
async function sessionSecret(db: Db, configured: string | null): Promise<string> {
  if (configured) return configured;
  const generated = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
  await db.insert(settings).values({ key: 'session_secret', value: generated }).onConflictDoNothing();
  return (await settingText(db, 'session_secret'))!;
}

export default fp(
  async (app) => {
    // Sessions live on the primary, whichever database a page reads (plugins/replica.ts).
    const { config } = app;
    const db = app.database.db;
    const secret = await sessionSecret(db, config.sessionSecret);
    const idleMs = config.sessionIdleMinutes * 60_000;
    const absoluteMs = config.sessionAbsoluteHours * 3_600_000;
    const store = new PgSessionStore(db, idleMs, absoluteMs);

    await app.register(cookie, { secret });
    await app.register(session, {
      secret,
      cookieName: SESSION_COOKIE,
      store,
      saveUninitialized: false,
      // Idle expiry is enforced from lastSeenAt below, so the row is not rewritten on every request.
      rolling: false,
      cookie: {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.cookieSecure,
        maxAge: absoluteMs,
      },
    });
    // Synchronizer token bound to the session: its secret lives in the session row (`_csrf`), so a
    // token from another browser's session is worth nothing here, and sign-in, which starts a new
    // session, rotates it (a token issued before sign-in is refused after). The token travels in
    // the form field `_csrf` or the `X-CSRF-Token` header (htmx sends it from <body hx-headers>).
    await app.register(csrf, {
      sessionPlugin: '@fastify/session',
      sessionKey: '_csrf',
      getToken: (req) => {
        const body = req.body as Record<string, unknown> | undefined;
        const fromBody = body && typeof body === 'object' ? body._csrf : undefined;
        // Multipart forms cannot be read before the handler, so they carry the token in the URL.
        const fromQuery = (req.query as Record<string, unknown> | undefined)?._csrf;
        return (
          (typeof fromBody === 'string' ? fromBody : undefined) ??
          (req.headers['x-csrf-token'] as string | undefined) ??
          (typeof fromQuery === 'string' && req.isMultipart() ? fromQuery : undefined)
        );
      },
    });

    app.decorateRequest('user', null);
    app.decorateRequest('locale', 'ru');
    app.decorateRequest('t', null as never);

    app.addHook('onRequest', async (req) => {
      const s = req.session;
      const now = Date.now();
      if (s?.userId) {
        const expired =
          now - (s.lastSeenAt ?? 0) > idleMs || now - (s.createdAt ?? 0) > absoluteMs;
        const [user] = expired ? [] : await db.select().from(users).where(eq(users.id, s.userId));
        if (user && user.active) {
          req.user = user;
          if (now - (s.lastSeenAt ?? 0) > TOUCH_INTERVAL_MS) s.lastSeenAt = now;
        } else {
          // Expired, deleted or deactivated: start a fresh session that says why; the access
          // check then sends the user to the sign-in page.
          await s.regenerate();
          req.session.flash = [{ kind: 'info', key: expired ? 'auth.sessionExpired' : 'auth.signInAgain' }];
        }
      }
      const cookieLang = req.cookies[LANG_COOKIE];
      req.locale = req.user?.locale ?? (isLocale(cookieLang) ? cookieLang : localeFromAcceptLanguage(req.headers['accept-language']));
      req.t = translator(req.locale);
    });

    // CSRF on every state-changing request, after the body is parsed and before validation.
    app.addHook('preValidation', (req, reply, done) => {
      if (SAFE_METHODS.has(req.method)) return done();
      app.csrfProtection(req, reply, (err?: Error) => {
        if (err) return done(new ForbiddenError('errors.csrf'));
        done();
      });
    });
  },
  { name: 'auth' },
);
