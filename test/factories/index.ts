import { randomInt } from 'node:crypto';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import type { Services } from '../../server/src/graphql/context.js';

// Factories make fresh rows through the real services, so tests never depend on each other's data.

let sequence = randomInt(1_000_000);
/** A Meta-style numeric id nobody else in this database uses. */
export function uniqueMetaId(): string {
  sequence += 1;
  return `${Date.now()}${String(sequence).padStart(7, '0')}`.slice(0, 20);
}

export function uniqueE164(): string {
  return `+55119${String(randomInt(10_000_000, 99_999_999))}`;
}

export async function makeTenant(services: Services, name = `Tenant ${uniqueMetaId()}`) {
  const tenant = await services.tenants.create(OPERATOR, { name });
  const { row: apiKey, secret } = await services.auth.create(OPERATOR, tenant.id, 'test key');
  return { tenant, apiKey, key: secret };
}

export async function makePhoneNumber(services: Services, tenantId: string, overrides: Partial<{ phoneNumberId: string; wabaId: string; throughputTier: number; displayPhoneNumber: string; accessToken: string }> = {}) {
  return services.phoneNumbers.add(OPERATOR, {
    tenantId,
    phoneNumberId: overrides.phoneNumberId ?? uniqueMetaId(),
    displayPhoneNumber: overrides.displayPhoneNumber ?? uniqueE164(),
    wabaId: overrides.wabaId ?? uniqueMetaId(),
    throughputTier: overrides.throughputTier ?? 80,
    accessToken: overrides.accessToken,
  });
}

export async function makeInstance(services: Services, tenantId: string, overrides: Parameters<typeof makePhoneNumber>[2] = {}) {
  const phoneNumber = await makePhoneNumber(services, tenantId, overrides);
  const instance = await services.instances.create(OPERATOR, { phoneNumberId: phoneNumber.id, name: `Instance ${phoneNumber.phoneNumberId}`, timezone: 'America/Sao_Paulo' });
  return { phoneNumber, instance };
}

export async function makeRuleTemplate(services: Services) {
  return services.ruleTemplates.create(OPERATOR, {
    name: `Welcome ${uniqueMetaId()}`,
    description: 'Greets new customers and hands over on request',
    variables: [{ name: 'business_name', description: 'Shown in the greeting', required: true }],
    rules: [
      { name: 'greet', trigger: { type: 'first_message' }, action: { type: 'reply_text', text: 'Olá! Bem-vindo à {{business_name}}.' } },
      { name: 'human', trigger: { type: 'keyword', keywords: ['atendente', 'human'], match: 'contains' }, action: { type: 'handoff' } },
    ],
  });
}
