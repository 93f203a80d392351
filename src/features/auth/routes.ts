import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Csrf, Form, Line, Next, NoQuery, SafeLines, Word } from '../../lib/schemas.js';
import { authenticate, directoryOf } from './service.js';
import { setUserLocale } from '../users/service.js';
import { safeNext } from '../../plugins/render.js';
import { LANG_COOKIE, SESSION_COOKIE } from '../../plugins/auth.js';
import { isLocale } from '../../i18n/index.js';

// `next` is checked for its shape only: safeNext sends anything odd to the home page.
const LoginQuery = Type.Object({ next: Type.Optional(Next) });
const LoginBody = Type.Object({
  login: Type.Optional(Line(200)),
  password: Type.Optional(SafeLines(1000)),
  next: Type.Optional(Next),
  _csrf: Type.Optional(Csrf),
});
const LocaleBody = Type.Object({
  lang: Word(10),
  next: Type.Optional(Next),
  _csrf: Type.Optional(Csrf),
});

// Why a sign-in was refused → the message and status of the re-rendered form.
const REFUSED = {
  invalid: { key: 'auth.invalid', status: 401 },
  unavailable: { key: 'auth.ldap.unavailable', status: 503 },
  loginTaken: { key: 'auth.ldap.loginTaken', status: 409 },
} as const;

export default async function authRoutes(app: FastifyInstance) {
  const directory = directoryOf(app);
  app.get<{ Querystring: { next?: string } }>(
    '/login',
    { config: { access: 'public' }, schema: { querystring: LoginQuery } },
    async (req, reply) => {
      if (req.user) return reply.redirect(safeNext(req.query.next), 303);
      return reply.page('auth/login', { next: safeNext(req.query.next, ''), login: '', error: null });
    },
  );

  app.post<{ Body: { login?: string; password?: string; next?: string } }>(
    '/login',
    {
      config: {
        access: 'public',
        rateLimit: { max: app.config.loginRateLimitPerMinute, timeWindow: '1 minute' },
      },
      schema: { body: LoginBody },
    },
    async (req, reply) => {
      const login = req.body.login ?? '';
      const result = await authenticate({ db: app.db, directory }, login, req.body.password ?? '');
      if (!result.ok) {
        req.log.info({ login, reason: result.reason }, 'sign-in refused');
        const refused = REFUSED[result.reason];
        return reply.page('auth/login', { next: safeNext(req.body.next, ''), login, error: refused.key }, { status: refused.status });
      }
      const user = result.user;
      // A new session id at sign-in, so a planted or sniffed anonymous id is worth nothing.
      await req.session.regenerate();
      const now = Date.now();
      req.session.userId = user.id;
      req.session.createdAt = now;
      req.session.lastSeenAt = now;
      req.log.info({ userId: user.id }, 'signed in');
      return reply.seeOther(safeNext(req.body.next));
    },
  );

  app.get('/logout', { config: { access: 'user' }, schema: { querystring: NoQuery } }, async (_req, reply) => reply.page('auth/logout'));

  app.post('/logout', { config: { access: 'public' }, schema: { body: Form({}) } }, async (req, reply) => {
    if (req.session) await req.session.destroy();
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.seeOther('/login');
  });

  app.post<{ Body: { lang: string; next?: string } }>(
    '/locale',
    { config: { access: 'public' }, schema: { body: LocaleBody } },
    async (req, reply) => {
      const lang = req.body.lang;
      if (isLocale(lang)) {
        reply.setCookie(LANG_COOKIE, lang, { path: '/', maxAge: 365 * 24 * 3600, sameSite: 'lax', httpOnly: true, secure: app.config.cookieSecure });
        if (req.user) await setUserLocale(app.db, req.user.id, lang);
      }
      return reply.seeOther(safeNext(req.body.next));
    },
  );
}
