import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { ADDRESS_FIELDS, type Address } from '../../db/schema/address.js';
import { settings } from '../../db/schema/settings.js';
import type { User } from '../../db/schema/users.js';
import { ForbiddenError, ValidationError } from '../../lib/errors.js';
import { FormReader } from '../../lib/validate.js';
import { allows } from '../../lib/access.js';
import { recordAudit } from '../audit/service.js';
import { ENVELOPE_FORMAT_IDS, isFormatId, type EnvelopeFormatId } from './formats.js';

/** The settings row that holds the sender block and the default envelope format. */
export const OWN_ORGANIZATION_KEY = 'own_organization';

export type OwnOrganization = { name: string; defaultFormat: EnvelopeFormatId } & Address;
export const OWN_ORGANIZATION_FIELDS = ['name', ...ADDRESS_FIELDS, 'defaultFormat'] as const;

const EMPTY: OwnOrganization = {
  name: '',
  defaultFormat: 'DL',
  ...(Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, ''])) as Address),
};

/** The stored value, with defaults for what is missing; jsonb is not trusted to have our shape. */
function fromStored(value: unknown): OwnOrganization {
  const v = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const out = { ...EMPTY };
  for (const f of ['name', ...ADDRESS_FIELDS] as const) if (typeof v[f] === 'string') out[f] = v[f];
  if (isFormatId(v.defaultFormat)) out.defaultFormat = v.defaultFormat;
  return out;
}

export async function getOwnOrganization(db: Db): Promise<OwnOrganization> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, OWN_ORGANIZATION_KEY));
  return fromStored(row?.value);
}

/** Reads and checks the settings form; the index rules are those of every address form. */
export function readOwnOrganizationForm(body: Record<string, unknown>): OwnOrganization {
  const f = new FormReader(body);
  const input: OwnOrganization = {
    name: f.text('name', { required: true, max: 500 }),
    ...f.address(),
    defaultFormat: f.oneOf('defaultFormat', ENVELOPE_FORMAT_IDS, 'DL'),
  };
  if (!f.ok) throw new ValidationError(f.errors);
  return input;
}

export async function saveOwnOrganization(db: Db, actor: User, input: OwnOrganization): Promise<OwnOrganization> {
  if (!allows('admin', actor.role)) throw new ForbiddenError();
  return db.transaction(async (tx) => {
    const [row] = await tx.select({ value: settings.value }).from(settings).where(eq(settings.key, OWN_ORGANIZATION_KEY)).for('update');
    const before = row ? fromStored(row.value) : null;
    await tx
      .insert(settings)
      .values({ key: OWN_ORGANIZATION_KEY, value: input })
      .onConflictDoUpdate({ target: settings.key, set: { value: input, updatedAt: new Date() } });
    // Settings are one row, not an entity with an id: entity id 0 stands for "the installation".
    await recordAudit(tx, { userId: actor.id, entityType: 'settings', entityId: 0, action: before ? 'update' : 'create', before, after: input, fields: OWN_ORGANIZATION_FIELDS });
    return input;
  });
}
