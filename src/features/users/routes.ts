import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ValidationError } from '../../lib/errors.js';
import * as service from './service.js';
import { findUserById, listUsers } from './queries.js';
import { NotFoundError } from '../../lib/errors.js';
import { ROLES } from '../../db/schema/users.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
const Str = (max = 1000) => Type.Optional(Type.String({ maxLength: max }));
const CreateBody = Type.Object({ login: Str(200), name: Str(1000), role: Str(50), password: Str(1000), _csrf: Str() });
const UpdateBody = Type.Object({ name: Str(1000), role: Str(50), active: Str(10), version: Type.Integer(), _csrf: Str() });
const PasswordBody = Type.Object({ password: Str(1000), _csrf: Str() });

type CreateBodyT = { login?: string; name?: string; role?: string; password?: string };

export default async function userRoutes(app: FastifyInstance) {
  const admin = { access: 'admin' as const };

  app.get('/admin/users', { config: admin }, async (_req, reply) => {
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

  app.get<{ Params: { id: number } }>('/admin/users/:id/edit', { config: admin, schema: { params: IdParams } }, async (req, reply) => {
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
