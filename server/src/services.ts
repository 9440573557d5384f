import type postgres from 'postgres';
import type { Database } from './db/client.js';
import type { Redis } from 'ioredis';
import type { Env } from './config/env.js';
import type { Queues } from './queue/queues.js';
import type { GraphClient } from './meta/graph-client.js';
import type { ActivityPublisher } from './modules/activity/activity.publisher.js';
import { TenantService } from './modules/tenants/tenants.service.js';
import { AuthService } from './modules/auth/auth.service.js';
import { PhoneNumberService } from './modules/phone-numbers/phone-numbers.service.js';
import { InstanceService } from './modules/instances/instances.service.js';
import { RuleTemplateService } from './modules/rule-templates/rule-templates.service.js';
import { AutomationService } from './modules/automation/automation.service.js';
import { WebhookService } from './modules/webhooks/webhooks.service.js';
import { MessageService } from './modules/messages/messages.service.js';
import { ContactService } from './modules/contacts/contacts.service.js';
import { MessageTemplateService } from './modules/message-templates/message-templates.service.js';
import { OutboundService } from './modules/outbound/outbound.service.js';
import { createSendLimiter } from './modules/outbound/outbound.limiter.js';
import { CampaignService } from './modules/campaigns/campaigns.service.js';

export interface ServiceDeps {
  db: Database;
  /** The same database through postgres.js, for bulk statements. */
  sql: postgres.Sql;
  env: Env;
  redis: Redis;
  queues: Queues;
  graph: GraphClient;
  activity: ActivityPublisher;
}

/** Every domain service, wired once per process. Resolvers and jobs reach them through this. */
export function createServices({ db, sql, env, redis, queues, graph, activity }: ServiceDeps) {
  const tenants = new TenantService(db);
  const auth = new AuthService(db, env.OPERATOR_API_KEY, tenants);
  const phoneNumbers = new PhoneNumberService(db, env.SECRETS_KEY, tenants, graph);
  const instances = new InstanceService(db, phoneNumbers);
  const ruleTemplates = new RuleTemplateService(db);
  const automation = new AutomationService(db, instances, ruleTemplates);
  const webhooks = new WebhookService(db, queues);
  const messages = new MessageService(db);
  const contacts = new ContactService(db);
  const messageTemplates = new MessageTemplateService(db, graph, phoneNumbers, env.META_SYSTEM_TOKEN);
  const sendLimiter = createSendLimiter({ redis, env });
  const outbound = new OutboundService(db, queues, sendLimiter, instances, phoneNumbers, messageTemplates);
  const campaigns = new CampaignService(db, sql, queues, instances, messageTemplates, sendLimiter);
  return { tenants, auth, phoneNumbers, instances, ruleTemplates, automation, webhooks, messages, contacts, messageTemplates, outbound, campaigns };
}

export type Services = ReturnType<typeof createServices>;
