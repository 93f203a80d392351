import type { Dictionary } from './index.js';
import { contactsDictionary } from '../features/contacts/i18n.js';
import { correspondenceDictionary } from '../features/correspondence/i18n.js';
import { groupsDictionary } from '../features/groups/i18n.js';
import { organizationsDictionary } from '../features/organizations/i18n.js';
import { personsDictionary } from '../features/persons/i18n.js';
import { referencesDictionary } from '../features/references/i18n.js';
import { envelopesDictionary } from '../features/envelopes/i18n.js';
import { importDictionary } from '../features/import/i18n.js';
import { exportDictionary } from '../features/export/i18n.js';
import { choicesDictionary } from '../features/choices/i18n.js';
import { authDictionary } from '../features/auth/i18n.js';
import { jobsDictionary } from '../features/jobs/i18n.js';
import { duplicatesDictionary } from '../features/duplicates/i18n.js';
import { mailingsDictionary } from '../features/mailings/i18n.js';
import { form103I18n } from '../features/mailings/form103-i18n.js';

export interface FeatureDictionary {
  ru: Dictionary;
  en: Dictionary;
}

/** Each feature keeps its strings beside its code; they are listed here to be merged. */
export const featureDictionaries: FeatureDictionary[] = [referencesDictionary, contactsDictionary, correspondenceDictionary, groupsDictionary, organizationsDictionary, personsDictionary, envelopesDictionary, importDictionary, exportDictionary, choicesDictionary, jobsDictionary, authDictionary, duplicatesDictionary, mailingsDictionary, form103I18n];
