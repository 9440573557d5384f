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

type Sql = import('postgres').Sql;

/**
 * A tenant with an instance and traffic (a contact, an inbound message, the raw webhook event that
 * brought it, a paused campaign, automation rules), every string recognisable by `label`: tests
 * that walk the whole API as another tenant grep every answer for these. Rows go in by SQL where no
 * service makes them (traffic comes from webhooks).
 */
export async function makeTenantWithTraffic(services: Services, sql: Sql, label: string) {
  const owner = await makeTenant(services, `${label} secret name`);
  const { instance, phoneNumber } = await makeInstance(services, owner.tenant.id);
  const [contact] = await sql`insert into contacts (tenant_id, phone_number_id, wa_id, name) values (${owner.tenant.id}, ${phoneNumber.id}, '5511900000001', ${`${label} customer`}) returning id`;
  const [message] = await sql`insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, wamid, type, text, payload, status)
    values (${owner.tenant.id}, ${instance.id}, ${phoneNumber.id}, ${contact.id}, 'inbound', ${`wamid.${uniqueMetaId()}`}, 'text', ${`${label} secret text`}, '{}'::jsonb, 'received') returning id`;
  const [event] = await sql`insert into webhook_events (body_hash, raw_body, state, tenant_ids) values (gen_random_uuid(), ${Buffer.from(JSON.stringify({ [label]: 'secret body' }))}, 'processed', ${sql.array([owner.tenant.id])}::uuid[]) returning id`;
  const [campaign] = await sql`insert into campaigns (tenant_id, instance_id, name, template, state, recipient_count) values (${owner.tenant.id}, ${instance.id}, ${`${label} secret campaign`}, '{"name":"boas_vindas","language":"pt_BR"}'::jsonb, 'paused', 1) returning id`;
  const template = await makeRuleTemplate(services);
  const [rule] = await services.templateApplications.apply(OPERATOR, { instanceId: instance.id, ruleTemplateId: template.id, variables: { business_name: `${label} Shop` } });
  // The run that onboarded it (finished and its finish told: no job or sweep takes it).
  const [run] = await sql`insert into onboarding_runs (kind, state, tenant_id, phone_number_row_id, instance_id, input, finished_at, notified_at)
    values ('quick_setup', 'succeeded', ${owner.tenant.id}, ${phoneNumber.id}, ${instance.id}, ${JSON.stringify({ businessName: `${label} secret name`, ruleTemplateId: null, templateVariables: {} })}::jsonb, now(), now()) returning id`;
  // A webhook endpoint with one delivered event (succeeded: no worker attempts it).
  const { row: endpoint } = await services.tenantWebhooks.create(OPERATOR, { tenantId: owner.tenant.id, url: 'https://example.com/hook', events: ['message.received'], description: `${label} secret endpoint` });
  const [outboxEvent] = await sql`insert into tenant_webhook_events (tenant_id, type, source_key, payload) values (${owner.tenant.id}, 'message.received', ${`factory:${uniqueMetaId()}`}, ${JSON.stringify({ data: `${label} secret payload` })}::jsonb) returning id`;
  const [delivery] = await sql`insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, status) values (${owner.tenant.id}, ${endpoint.id}, ${outboxEvent.id}, 'message.received', 'succeeded') returning id`;
  return {
    ...owner, instance, phoneNumber, ruleTemplate: template, onboardingRunId: run.id as string,
    contactId: contact.id as string, messageId: message.id as string, webhookEventId: String(event.id), campaignId: campaign.id as string, ruleId: rule.id as string,
    endpointId: endpoint.id, deliveryId: delivery.id as string,
    /** Names and contents only this tenant's rows hold. */
    names: [`${label} secret name`, `${label} customer`, `${label} secret text`, 'secret body', `${label} secret campaign`, `${label} Shop`, `${label} secret endpoint`, `${label} secret payload`],
    /** Its ids, ours and Meta's. */
    ids: [owner.tenant.id, instance.id, phoneNumber.id, owner.apiKey.id, contact.id as string, message.id as string, campaign.id as string, rule.id as string, phoneNumber.phoneNumberId, phoneNumber.wabaId, run.id as string, endpoint.id, delivery.id as string],
  };
}

/** Every row of a tenant made by makeTenantWithTraffic, to show that nothing of it changed. */
export async function snapshotOfTenant(sql: Sql, owner: { tenant: { id: string }; webhookEventId: string }) {
  const id = owner.tenant.id;
  return {
    tenant: await sql`select * from tenants where id = ${id}`,
    numbers: await sql`select * from phone_numbers where tenant_id = ${id} order by id`,
    instances: await sql`select * from instances where tenant_id = ${id} order by id`,
    keys: await sql`select * from api_keys where tenant_id = ${id} order by id`,
    rules: await sql`select * from automation_rules where tenant_id = ${id} order by id`,
    messages: await sql`select * from messages where tenant_id = ${id} order by id`,
    contacts: await sql`select * from contacts where tenant_id = ${id} order by id`,
    events: await sql`select id, state, attempts from webhook_events where id = ${owner.webhookEventId}`,
    campaigns: await sql`select * from campaigns where tenant_id = ${id} order by id`,
    onboardingRuns: await sql`select * from onboarding_runs where tenant_id = ${id} order by id`,
    webhookEndpoints: await sql`select * from webhook_endpoints where tenant_id = ${id} order by id`,
    webhookDeliveries: await sql`select * from webhook_deliveries where tenant_id = ${id} order by id`,
  };
}
