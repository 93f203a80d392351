import type { FastifyInstance } from 'fastify';
import { registerDictionary } from '../i18n/index.js';
import { registerCardHooks } from '../lib/card-hooks.js';
import { registerHistoryCheck } from '../lib/history.js';
import { authDictionary } from './auth/i18n.js';
import { choicesDictionary } from './choices/i18n.js';
import { contactsDictionary } from './contacts/i18n.js';
import { documentsDictionary } from './documents/i18n.js';
import { organizationsWithDocuments, personsWithDocuments } from './documents/history.js';
import { documentCounts } from './documents/card.js';
import { duplicatesDictionary } from './duplicates/i18n.js';
import { duplicateWatch } from './duplicates/service.js';
import { envelopesDictionary } from './envelopes/i18n.js';
import { exportDictionary } from './export/i18n.js';
import { groupsDictionary } from './groups/i18n.js';
import { groupsOnCard } from './groups/card.js';
import { organizationsWithMemberships, personsWithMemberships } from './groups/history.js';
import { importDictionary } from './import/i18n.js';
import { jobsDictionary } from './jobs/i18n.js';
import { form103I18n } from './mailings/form103-i18n.js';
import { mailingsDictionary } from './mailings/i18n.js';
import { mailingsSection } from './mailings/card.js';
import { organizationsDictionary } from './organizations/i18n.js';
import { organizationsWithPersons } from './organizations/history.js';
import { personsDictionary } from './persons/i18n.js';
import { personsOnOrganizationCard } from './persons/card.js';
import { referencesDictionary } from './references/i18n.js';
import authRoutes from './auth/routes.js';
import ldapRecheck from './auth/recheck.js';
import healthRoutes from './health/routes.js';
import homeRoutes from './home/routes.js';
import userRoutes from './users/routes.js';
import referenceRoutes from './references/routes.js';
import contactsRoutes from './contacts/routes.js';
import organizationRoutes from './organizations/routes.js';
import personRoutes from './persons/routes.js';
import documentRoutes from './documents/routes.js';
import envelopeRoutes from './envelopes/routes.js';
import groupRoutes from './groups/routes.js';
import importRoutes from './import/routes.js';
import exportRoutes from './export/routes.js';
import choiceRoutes from './choices/routes.js';
import jobRoutes from './jobs/routes.js';
import duplicateRoutes from './duplicates/routes.js';
import mailingRoutes from './mailings/routes.js';
import settingsRoutes from './settings/routes.js';

let registered = false;

/**
 * What the features hand to the layers below them, which import no feature: their strings; what
 * makes a person or an organization one with history (delete archives it instead; an import's
 * undo leaves it); and what watches their cards (the duplicate check after a save, the hints,
 * facts and sections of a card page). Once per process, before anything translates, saves or deletes:
 * buildApp calls it, and so does anything that uses the features without an app.
 */
export function registerFeatures(): void {
  if (registered) return;
  registered = true;
  for (const d of [referencesDictionary, contactsDictionary, documentsDictionary, groupsDictionary, organizationsDictionary, personsDictionary, envelopesDictionary, importDictionary, exportDictionary, choicesDictionary, jobsDictionary, authDictionary, duplicatesDictionary, mailingsDictionary, form103I18n]) {
    registerDictionary(d);
  }
  registerHistoryCheck('person', personsWithMemberships);
  registerHistoryCheck('person', personsWithDocuments);
  registerHistoryCheck('organization', organizationsWithPersons);
  registerHistoryCheck('organization', organizationsWithMemberships);
  registerHistoryCheck('organization', organizationsWithDocuments);
  for (const kind of ['person', 'organization'] as const) {
    registerCardHooks(kind, duplicateWatch(kind));
    // A card page's parts that belong to other features: document counts, groups, mailings.
    registerCardHooks(kind, documentCounts(kind));
    registerCardHooks(kind, groupsOnCard(kind));
    registerCardHooks(kind, mailingsSection(kind));
  }
  registerCardHooks('organization', personsOnOrganizationCard);
}

/** The route table: one line per feature. */
export async function registerRoutes(app: FastifyInstance) {
  await app.register(ldapRecheck);
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(homeRoutes);
  await app.register(userRoutes);
  await app.register(referenceRoutes);
  await app.register(contactsRoutes);
  await app.register(organizationRoutes);
  await app.register(personRoutes);
  await app.register(documentRoutes);
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
