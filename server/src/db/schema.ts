// Every table, for drizzle-kit and for typed queries. One `<domain>.table.ts` per domain.
export * from '../modules/tenants/tenants.table.js';
export * from '../modules/auth/api-keys.table.js';
export * from '../modules/phone-numbers/phone-numbers.table.js';
export * from '../modules/instances/instances.table.js';
export * from '../modules/rule-templates/rule-templates.table.js';
export * from '../modules/automation/automation.table.js';
export * from '../modules/webhooks/webhooks.table.js';
export * from '../modules/contacts/contacts.table.js';
export * from '../modules/messages/messages.table.js';
export * from '../modules/message-templates/message-templates.table.js';
export * from '../modules/campaigns/campaigns.table.js';
export * from '../modules/onboarding/onboarding.table.js';
export * from '../modules/tenant-webhooks/tenant-webhooks.table.js';
