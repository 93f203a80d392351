import { IMPORT_DECISIONS, type ImportDecision } from '../../db/schema/imports.js';

/** The batch's choices made in the preview: what to do with duplicates, and groups from categories. */
export interface ImportOptions {
  /** The all-rows choice for probable duplicates; a row's own choice wins over it. */
  decision: ImportDecision;
  /** Outlook categories become mailing groups (matched by name, else created). */
  createGroups: boolean;
}

export const DEFAULT_OPTIONS: ImportOptions = { decision: 'skip', createGroups: false };

export function readOptions(v: unknown): ImportOptions {
  const o = (v ?? {}) as Partial<ImportOptions>;
  return {
    decision: IMPORT_DECISIONS.includes(o.decision as ImportDecision) ? (o.decision as ImportDecision) : DEFAULT_OPTIONS.decision,
    createGroups: o.createGroups === true,
  };
}
