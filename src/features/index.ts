import type { FastifyInstance } from 'fastify';
import authRoutes from './auth/routes.js';
import ldapRecheck from './auth/recheck.js';
import healthRoutes from './health/routes.js';
import homeRoutes from './home/routes.js';
import userRoutes from './users/routes.js';
import referenceRoutes from './references/routes.js';
import contactsRoutes from './contacts/routes.js';
import organizationRoutes from './organizations/routes.js';
import personRoutes from './persons/routes.js';
import correspondenceRoutes from './correspondence/routes.js';
import envelopeRoutes from './envelopes/routes.js';
import groupRoutes from './groups/routes.js';
import importRoutes from './import/routes.js';
import exportRoutes from './export/routes.js';
import choiceRoutes from './choices/routes.js';
import jobRoutes from './jobs/routes.js';
import duplicateRoutes from './duplicates/routes.js';
import mailingRoutes from './mailings/routes.js';
import settingsRoutes from './settings/routes.js';

/** The route table: one line per feature. */
export async function registerFeatures(app: FastifyInstance) {
  await app.register(ldapRecheck);
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(homeRoutes);
  await app.register(userRoutes);
  await app.register(referenceRoutes);
  await app.register(contactsRoutes);
  await app.register(organizationRoutes);
  await app.register(personRoutes);
  await app.register(correspondenceRoutes);
  await app.register(settingsRoutes);
  await app.register(envelopeRoutes);
  await app.register(groupRoutes);
  await app.register(importRoutes);
  await app.register(exportRoutes);
  await app.register(choiceRoutes);
  await app.register(jobRoutes);
  await app.register(duplicateRoutes);
  await app.register(mailingRoutes);
}
