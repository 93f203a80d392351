import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Int, Csrf, IdParams, Line, MAX_ID, NoQuery, SafeLines, Word } from '../../lib/schemas.js';
import { ValidationError } from '../../lib/errors.js';
import * as service from './service.js';
import { findUserById, listUsers } from './queries.js';
import { NotFoundError } from '../../lib/errors.js';
import { ROLES } from '../../db/schema/users.js';

const Opt = Type.Optional;
const CreateBody = Type.Object({ login: Opt(Line(200)), name: Opt(Line(1000)), role: Opt(Word(50)), password: Opt(SafeLines(1000)), _csrf: Opt(Csrf) });
const UpdateBody = Type.Object({ name: Opt(Line(1000)), role: Opt(Word(50)), active: Opt(Word(10)), version: Int(0, MAX_ID), _csrf: Opt(Csrf) });
const PasswordBody = Type.Object({ password: Opt(SafeLines(1000)), _csrf: Opt(Csrf) });

type CreateBodyT = { login?: string; name?: string; role?: string; password?: string };

export default async function userRoutes(app: FastifyInstance) {
  const admin = { access: 'admin' as const };

  app.get('/admin/users', { config: admin, schema: { querystring: NoQuery } }, async (_req, reply) => {
    const users = await listUsers(app.db);
    return reply.page('users/index', { users, roles: ROLES, form: { role: 'employee' }, errors: {} }, { fragment: 'users/_list' });
  });

  app.post<{ Body: CreateBodyT }>('/admin/users', { config: admin, schema: { body: CreateBody } }, async (req, reply) => {
    try {
      const user = await service.createUser(app.db, req.user!, req.body);
      reply.flash('success', 'users.created', { login: user.login });
      return reply.seeOther('/admin/users');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const users = await listUsers(app.db);
      const { password: _dropped, ...form } = req.body;
      return reply.page('users/index', { users, roles: ROLES, form, errors: err.fields }, { status: 422, fragment: 'users/_form' });
    }
  });

  app.get<{ Params: { id: number } }>('/admin/users/:id/edit', { config: admin, schema: { params: IdParams, querystring: NoQuery } }, async (req, reply) => {
    const user = await findUserById(app.db, req.params.id);
    if (!user) throw new NotFoundError();
    return reply.page('users/edit', { target: user, form: user, roles: ROLES, errors: {}, newPassword: null });
  });

  app.post<{ Params: { id: number }; Body: { name?: string; role?: string; active?: string; version: number } }>(
    '/admin/users/:id',
    { config: admin, schema: { params: IdParams, body: UpdateBody } },
    async (req, reply) => {
      const input = { ...req.body, active: req.body.active === 'on' || req.body.active === 'true' };
      try {
        const user = await service.updateUser(app.db, req.user!, req.params.id, input);
        reply.flash('success', 'users.saved', { login: user.login });
        return reply.seeOther('/admin/users');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const target = await findUserById(app.db, req.params.id);
        return reply.page('users/edit', { target, form: input, roles: ROLES, errors: err.fields, newPassword: null }, { status: 422 });
      }
    },
  );

  app.post<{ Params: { id: number }; Body: { password?: string } }>(
    '/admin/users/:id/password',
    { config: admin, schema: { params: IdParams, body: PasswordBody } },
    async (req, reply) => {
      const target = await findUserById(app.db, req.params.id);
      if (!target) throw new NotFoundError();
      try {
        const password = await service.resetPassword(app.db, req.user!, req.params.id, req.body.password);
        // A generated password is shown once on this page, never stored in clear or in the flash.
        const generated = !req.body.password;
        const fresh = await findUserById(app.db, req.params.id);
        return reply.page('users/edit', { target: fresh, form: fresh, roles: ROLES, errors: {}, newPassword: generated ? password : null, passwordSaved: !generated });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        return reply.page('users/edit', { target, form: target, roles: ROLES, errors: err.fields, newPassword: null }, { status: 422 });
      }
    },
  );
}
