import type { JobDeps } from './queue/job-types.js';
import type { Services } from './graphql/context.js';
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
import { sendLimiter } from './modules/outbound/outbound.limiter.js';
import { CampaignService } from './modules/campaigns/campaigns.service.js';
import { MonitoringService } from './modules/monitoring/monitoring.service.js';
import { ConversationService } from './modules/conversations/conversations.service.js';
import { TenantWebhookService } from './modules/tenant-webhooks/tenant-webhooks.service.js';
import { TemplateApplicationService } from './modules/rule-templates/rule-templates.apply.js';
import { OnboardingService } from './modules/onboarding/onboarding.service.js';
import { PhoneNumberDoctor } from './modules/onboarding/onboarding.doctor.js';

/**
 * The composition root of the domain services, wired once per process from the same
 * infrastructure the jobs get. Resolvers reach them through the GraphQL context; domains that
 * must hear of each other's events without importing each other are connected here.
 */
export function createServices({ db, sql, env, redis, queues, graph, publisher }: JobDeps): Services {
  const tenants = new TenantService(db);
  const auth = new AuthService(db, env.OPERATOR_API_KEY, tenants);
  const phoneNumbers = new PhoneNumberService(db, env.SECRETS_KEY, tenants, graph);
  const instances = new InstanceService(db, phoneNumbers);
  const ruleTemplates = new RuleTemplateService(db);
  const automation = new AutomationService(db, instances);
  const webhooks = new WebhookService(db, queues);
  const messages = new MessageService(db);
  const contacts = new ContactService(db);
  const messageTemplates = new MessageTemplateService(db, graph, phoneNumbers, env.META_SYSTEM_TOKEN);
  const limiter = sendLimiter({ redis, env });
  const outbound = new OutboundService(db, queues, limiter, instances, phoneNumbers, messageTemplates);
  const campaigns = new CampaignService(db, sql, queues, instances, messageTemplates, limiter);
  const monitoring = new MonitoringService(db, queues);
  const templateApplications = new TemplateApplicationService(db, ruleTemplates, instances, phoneNumbers, messageTemplates);
  const conversations = new ConversationService(db, contacts, instances, publisher, queues['tenant-webhooks']);
  const tenantWebhooks = new TenantWebhookService(db, env, queues, instances);
  const onboarding = new OnboardingService({ db, queues, graph, publisher, env }, ruleTemplates);
  const doctor = new PhoneNumberDoctor({ db, graph, env }, phoneNumbers, messageTemplates);
  // A resumed number sends what waited: single sends, then its running campaigns.
  phoneNumbers.onResumed((number) => outbound.requeueNumber(number));
  phoneNumbers.onResumed((number) => campaigns.requeueNumber(number));
  return { tenants, auth, phoneNumbers, instances, ruleTemplates, automation, webhooks, messages, contacts, messageTemplates, outbound, campaigns, monitoring, conversations, templateApplications, onboarding, doctor, tenantWebhooks };
}
