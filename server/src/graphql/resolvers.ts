import type { NonEmptyArray } from 'type-graphql';
import { TenantResolver } from '../modules/tenants/tenants.resolver.js';
import { AuthResolver } from '../modules/auth/auth.resolver.js';
import { PhoneNumberResolver } from '../modules/phone-numbers/phone-numbers.resolver.js';
import { InstanceResolver } from '../modules/instances/instances.resolver.js';
import { InstanceTemplateResolver, RuleTemplateResolver } from '../modules/rule-templates/rule-templates.resolver.js';
import { AutomationResolver } from '../modules/automation/automation.resolver.js';
import { ActivityResolver } from '../modules/activity/activity.resolver.js';
import { WebhookResolver } from '../modules/webhooks/webhooks.resolver.js';
import { MessageResolver } from '../modules/messages/messages.resolver.js';
import { MessageTemplateResolver } from '../modules/message-templates/message-templates.resolver.js';
import { OutboundResolver } from '../modules/outbound/outbound.resolver.js';
import { CampaignResolver } from '../modules/campaigns/campaigns.resolver.js';
import { MonitoringResolver } from '../modules/monitoring/monitoring.resolver.js';
import { ConversationResolver } from '../modules/conversations/conversations.resolver.js';
import { OnboardingResolver } from '../modules/onboarding/onboarding.resolver.js';
import { DoctorResolver } from '../modules/onboarding/onboarding.doctor.resolver.js';
import { TenantWebhookResolver, WebhookDeliveryResolver } from '../modules/tenant-webhooks/tenant-webhooks.resolver.js';

// Every resolver of the API, one per domain.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  TenantResolver,
  AuthResolver,
  PhoneNumberResolver,
  InstanceResolver,
  RuleTemplateResolver,
  InstanceTemplateResolver,
  AutomationResolver,
  ActivityResolver,
  WebhookResolver,
  MessageResolver,
  MessageTemplateResolver,
  OutboundResolver,
  CampaignResolver,
  MonitoringResolver,
  ConversationResolver,
  OnboardingResolver,
  DoctorResolver,
  TenantWebhookResolver,
  WebhookDeliveryResolver,
];
