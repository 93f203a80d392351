import type { Db, Tx } from '../db/client.js';

type Checker = (db: Db | Tx, id: number) => Promise<boolean>;

/**
 * Features that attach history to a counterparty (correspondence, group memberships) register a
 * check here, so "delete" can tell whether erasing would lose it and archive instead.
 */
export const historyCheckers: { organization: Checker[]; person: Checker[] } = { organization: [], person: [] };
