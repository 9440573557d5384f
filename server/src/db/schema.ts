// Every table, for drizzle-kit and for typed queries. One `<domain>.table.ts` per domain.
export * from '../modules/tenants/tenants.table.js';
export * from '../modules/auth/api-keys.table.js';
export * from '../modules/phone-numbers/phone-numbers.table.js';
export * from '../modules/instances/instances.table.js';
export * from '../modules/rule-templates/rule-templates.table.js';
export * from '../modules/automation/automation.table.js';
