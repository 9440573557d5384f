import type { LogSink } from '../lib/logger.js';
import type { Viewer } from '../modules/auth/auth.viewer.js';
import type { TenantService } from '../modules/tenants/tenants.service.js';
import type { AuthService } from '../modules/auth/auth.service.js';
import type { PhoneNumberService } from '../modules/phone-numbers/phone-numbers.service.js';
import type { InstanceService } from '../modules/instances/instances.service.js';
import type { RuleTemplateService } from '../modules/rule-templates/rule-templates.service.js';
import type { AutomationService } from '../modules/automation/automation.service.js';
import type { WebhookService } from '../modules/webhooks/webhooks.service.js';
import type { MessageService } from '../modules/messages/messages.service.js';
import type { ContactService } from '../modules/contacts/contacts.service.js';
import type { MessageTemplateService } from '../modules/message-templates/message-templates.service.js';
import type { OutboundService } from '../modules/outbound/outbound.service.js';
import type { CampaignService } from '../modules/campaigns/campaigns.service.js';
import type { MonitoringService } from '../modules/monitoring/monitoring.service.js';
import type { ConversationService } from '../modules/conversations/conversations.service.js';
import type { TenantWebhookService } from '../modules/tenant-webhooks/tenant-webhooks.service.js';
import type { TemplateApplicationService } from '../modules/rule-templates/rule-templates.apply.js';
import type { OnboardingService } from '../modules/onboarding/onboarding.service.js';
import type { PhoneNumberDoctor } from '../modules/onboarding/onboarding.doctor.js';

/** Every domain service, as resolvers see them (wired in services.ts). */
export interface Services {
  tenants: TenantService;
  auth: AuthService;
  phoneNumbers: PhoneNumberService;
  instances: InstanceService;
  ruleTemplates: RuleTemplateService;
  automation: AutomationService;
  webhooks: WebhookService;
  messages: MessageService;
  contacts: ContactService;
  messageTemplates: MessageTemplateService;
  outbound: OutboundService;
  campaigns: CampaignService;
  monitoring: MonitoringService;
  conversations: ConversationService;
  templateApplications: TemplateApplicationService;
  onboarding: OnboardingService;
  doctor: PhoneNumberDoctor;
  tenantWebhooks: TenantWebhookService;
}

/** What every resolver receives: who is calling, and the services that decide. */
export interface AppContext {
  viewer: Viewer;
  services: Services;
  /**
   * The token of an onboarding invite link, when the caller sent one instead of a key. The viewer
   * is then a read-only tenant of no tenant (it sees nothing), and only the invite's fields run.
   */
  inviteToken?: string | null;
  /** The request's logger (its lines carry the reqId). */
  log?: LogSink;
}
