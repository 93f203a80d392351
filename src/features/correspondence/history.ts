import { historyCheckers } from '../../lib/history.js';
import { hasDocuments } from './queries.js';

/**
 * A counterparty named on a registered document has history: "delete" archives it instead, and
 * the document keeps pointing at it. Imported for this side effect by the routes module.
 * (An organization whose persons have documents already has history through those persons.)
 */
historyCheckers.person.push((db, id) => hasDocuments(db, { personId: id }));
historyCheckers.organization.push((db, id) => hasDocuments(db, { organizationId: id }));
