import type { Role } from '../db/schema/users.js';
import { ForbiddenError } from './errors.js';

export const ACCESS_LEVELS = ['public', 'user', 'secretary', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

const RANK: Record<Role, number> = { employee: 1, secretary: 2, admin: 3 };
const REQUIRED: Record<Exclude<Access, 'public'>, number> = { user: 1, secretary: 2, admin: 3 };

/** True when a user of this role may use a route of this access level. */
export function allows(access: Access, role: Role | null | undefined): boolean {
  if (access === 'public') return true;
  if (!role) return false;
  return RANK[role] >= REQUIRED[access];
}

/**
 * The services' own check before every write: a route's access rule guards HTTP, this guards
 * every other caller (jobs, the demo, tests) as well.
 */
export function requireSecretary(actor: { role: Role }): void {
  if (!allows('secretary', actor.role)) throw new ForbiddenError();
}
