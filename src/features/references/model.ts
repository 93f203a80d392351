import type { ReferenceKind } from '../../db/schema/references.js';

/**
 * The reference lists, pure: what the service and the import (which creates the entries a file
 * names) share.
 */

/** The audit log's entity type of each list's entries. */
export const REFERENCE_ENTITY_TYPES: Record<ReferenceKind, 'region' | 'activity' | 'category'> = {
  regions: 'region',
  activities: 'activity',
  categories: 'category',
};
