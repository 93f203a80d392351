import fp from 'fastify-plugin';
import { UnauthorizedError } from '../../lib/errors.js';
import { directoryOf, recheckDirectoryUser } from './service.js';

/**
 * Directory accounts are confirmed with the directory at least every LDAP_RECHECK_MINUTES: on a
 * request whose user was last confirmed longer ago, the user is looked up with the service account.
 * Removed or disabled → the session ends. Directory unreachable → the session ends as well (fail
 * closed: a fired employee must not keep working because the directory is down); local accounts,
 * the first administrator among them, are never re-checked and keep working.
 */
export default fp(
  async (app) => {
    const directory = directoryOf(app);
    const intervalMs = (app.config.ldap?.recheckMinutes ?? 0) * 60_000;

    // Runs after the session and access hooks: req.user is the stored account here.
    app.addHook('onRequest', async (req) => {
      const user = req.user;
      if (!user || user.source !== 'ldap') return;
      if (directory && user.checkedAt && Date.now() - user.checkedAt.getTime() < intervalMs) return;
      const verdict = await recheckDirectoryUser({ db: app.db, directory }, user);
      if (verdict.ok) {
        req.user = verdict.user;
        return;
      }
      req.log.info({ userId: user.id, reason: verdict.reason }, 'directory re-check ended the session');
      await req.session.regenerate();
      req.session.flash = [{ kind: 'error', key: verdict.reason === 'gone' ? 'auth.ldap.accountGone' : 'auth.ldap.sessionUnavailable' }];
      req.user = null;
      const access = req.routeOptions.config.access;
      if (access && access !== 'public') throw new UnauthorizedError();
    });
  },
  { name: 'ldap-recheck', dependencies: ['auth', 'access'] },
);
