import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { organizations, type Organization } from '../../db/schema/organizations.js';
import { activities, categories, regions } from '../../db/schema/references.js';

export type OrganizationView = Organization & { regionName: string | null; activityName: string | null; categoryName: string | null };

export async function findOrganization(db: Db | Tx, id: number): Promise<OrganizationView | undefined> {
  const [row] = await db
    .select({ o: organizations, regionName: regions.name, activityName: activities.name, categoryName: categories.name })
    .from(organizations)
    .leftJoin(regions, eq(regions.id, organizations.regionId))
    .leftJoin(activities, eq(activities.id, organizations.activityId))
    .leftJoin(categories, eq(categories.id, organizations.categoryId))
    .where(eq(organizations.id, id));
  return row ? { ...row.o, regionName: row.regionName, activityName: row.activityName, categoryName: row.categoryName } : undefined;
}

export async function lockOrganization(tx: Tx, id: number): Promise<Organization | undefined> {
  const [row] = await tx.select().from(organizations).where(eq(organizations.id, id)).for('update');
  return row;
}

