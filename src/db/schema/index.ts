export * from './users.js';
export * from './sessions.js';
export * from './settings.js';
export * from './references.js';
export * from './organizations.js';
export * from './persons.js';
export * from './audit.js';
