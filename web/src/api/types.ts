// The shapes the dashboard reads, mirroring schema/schema.graphql (only the fields it selects).

export interface PageInfo { hasNextPage: boolean; endCursor: string | null }
export interface Connection<T> { edges: { node: T }[]; pageInfo: PageInfo; totalCount: number }

export type ViewerKind = 'operator' | 'tenant';
export interface Viewer { kind: ViewerKind; tenant: { id: string; name: string } | null }

export interface ApiKey { id: string; name: string; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }
export interface Tenant { id: string; name: string; createdAt: string; apiKeys: ApiKey[] }

export interface PhoneNumber {
  id: string; tenantId: string; phoneNumberId: string; displayPhoneNumber: string; wabaId: string; verifiedName: string | null;
  status: string; qualityRating: string; throughputTier: number; hasOwnToken: boolean; createdAt: string;
  instance: { id: string; name: string; status: string } | null;
}

export interface Instance {
  id: string; tenantId: string; name: string; status: string; timezone: string; createdAt: string;
  phoneNumber: { id: string; phoneNumberId: string; displayPhoneNumber: string };
  automationRules: { id: string; name: string; enabled: boolean }[];
}

export interface RuleTemplateVariable { name: string; description: string; required: boolean; default: string | null }
export interface RuleTemplate { id: string; name: string; description: string; version: number; variables: RuleTemplateVariable[]; rules: unknown; updatedAt: string }

export const ACTIVITY_KINDS = ['inbound_message', 'outbound_message', 'status', 'template_status', 'account_update', 'unrouted', 'rejected', 'rule_fired', 'handoff'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface Activity {
  id: string; kind: ActivityKind | string; direction: 'in' | 'out' | null; tenantId: string | null; instanceId: string | null;
  phoneNumberId: string | null; wabaId: string | null; messageId: string | null; wamid: string | null;
  contactWaId: string | null; contactName: string | null; messageType: string | null; status: string | null;
  summary: string; webhookEventId: string | null; occurredAt: string;
}
export interface ActivityFilter { tenantId?: string | null; phoneNumberId?: string | null; kinds?: string[] | null }

export interface TrafficPoint { at: string; inbound: number; outbound: number }
export interface QueueHealth { name: string; waiting: number; active: number; delayed: number; failed: number; completed: number }
export interface UnroutedEvent { id: string; phoneNumberId: string | null; wabaId: string | null; field: string | null; fix: string; createdAt: string; webhookEventId: string }
export interface WebhookEvent { id: string; state: string; attempts: number; error: string | null; receivedAt: string; processedAt: string | null; summary: Record<string, number> | null; tenantIds: string[] }

export interface MessageTemplate { id: string; name: string; language: string; category: string | null; status: string; body: string | null; variableCount: number }
export interface SentMessage {
  id: string; status: string; type: string; text: string | null; createdAt: string; sentAt?: string | null; deliveredAt?: string | null; readAt?: string | null;
  failedAt?: string | null; errorTitle?: string | null; errorCode?: number | null; contact: { waId: string; name: string | null };
}
export interface CampaignProgress { campaignId: string; state: string; total: number; queued: number; sending: number; sent: number; delivered: number; read: number; failed: number; unknown: number; updatedAt: string }
export interface Campaign {
  id: string; name: string; state: string; instanceId: string; tenantId: string; templateName: string; templateLanguage: string; recipientCount: number;
  createdAt: string; startedAt: string | null; finishedAt: string | null; progress: CampaignProgress;
}
export interface NumberThroughput { tier: number; lastSecond: number; lastMinute: number; busiestSecond: number; phoneNumber: { id: string; tenantId: string; phoneNumberId: string; displayPhoneNumber: string } }

// Automation rules (issue 17): the rule language of server/src/modules/automation/rules.schema.ts,
// as the API answers it (stored form: `actions`, never the legacy `action`).

export const KEYWORD_MATCHES = ['contains', 'exact', 'starts_with', 'regex'] as const;
export type KeywordMatch = (typeof KEYWORD_MATCHES)[number];
export const TRIGGER_MESSAGE_TYPES = ['image', 'audio', 'video', 'document', 'location', 'contacts', 'sticker'] as const;

export type RuleTrigger =
  | { type: 'keyword'; keywords: string[]; match: KeywordMatch }
  | { type: 'first_message' | 'outside_business_hours' | 'inside_business_hours' | 'any_message' }
  | { type: 'button_reply'; buttonId: string }
  | { type: 'list_reply'; rowId: string }
  | { type: 'message_type'; messageTypes: string[] };
export type TriggerType = RuleTrigger['type'];

export type RuleCondition =
  | { type: 'contact_has_tag' | 'contact_lacks_tag'; tag: string }
  | { type: 'cooldown'; hours: number }
  | { type: 'not_in_handoff' };
export type ConditionType = RuleCondition['type'];

export interface ListSection { title?: string; rows: { id: string; title: string; description?: string }[] }
export type RuleAction =
  | { type: 'reply_text'; text: string }
  | { type: 'reply_buttons'; text: string; buttons: { id: string; title: string }[] }
  | { type: 'reply_list'; text: string; button: string; sections: ListSection[] }
  | { type: 'reply_template'; template: string; language: string; parameters: string[] }
  | { type: 'reply_media'; mediaType: 'image' | 'document'; link: string; caption?: string; filename?: string }
  | { type: 'mark_read' }
  | { type: 'add_tag' | 'remove_tag'; tag: string }
  | { type: 'handoff'; note?: string };
export type ActionType = RuleAction['type'];

export interface AutomationRule {
  id: string; tenantId: string; instanceId: string; name: string; position: number; enabled: boolean; stop: boolean;
  trigger: RuleTrigger; conditions: RuleCondition[]; actions: RuleAction[]; runCount: number; lastRunAt: string | null; ruleTemplateId: string | null;
}
export interface RulesInstance {
  id: string; tenantId: string; name: string; status: string; timezone: string; handoffTimeoutHours: number;
  phoneNumber: { id: string; phoneNumberId: string; displayPhoneNumber: string };
  automationRules: AutomationRule[];
  /** The configuration template the instance runs, if any: its rules come first; some may wait on Meta. */
  appliedTemplate: {
    version: number; upgradeAvailable: boolean; template: { id: string; name: string };
    heldRules: { ruleId: string; status: string; template: string; language: string; reason: string; fix: string }[];
  } | null;
}

export type VerdictOutcome = 'fired' | 'no_match' | 'condition_failed' | 'disabled' | 'not_reached' | 'paused_for_handoff';
export interface RuleVerdict { ruleId: string; name: string; outcome: VerdictOutcome | string; reason: string }
export interface AutomationReply { ruleId: string; ruleName: string; actionIndex: number; type: string; text: string | null; payload: unknown; sent: boolean; skipReason: string | null }
export interface AutomationTestResult { verdicts: RuleVerdict[]; replies: AutomationReply[] }

// Conversations (issue 17).

export interface Contact {
  id: string; tenantId: string; waId: string; name: string | null; phoneNumberId: string; tags: string[]; createdAt: string;
  inHandoff: boolean; handoffStartedAt: string | null; handoffExpiresAt: string | null; handoffNote: string | null;
  lastInboundAt: string | null; windowClosesAt: string | null;
}
export interface RuleRunSummary { id: string; ruleId: string; ruleName: string; status: string; matched: string; actions: unknown; outboundMessageIds: string[] }
export interface ThreadMessage {
  id: string; direction: 'inbound' | 'outbound' | string; type: string; text: string | null; payload: unknown; status: string; createdAt: string;
  instanceId: string | null; automationRuleId: string | null; errorTitle: string | null; errorCode: number | null; errorDetail: string | null;
  answeredBy: RuleRunSummary[];
}
export interface ConversationThread { contact: Contact; messages: ThreadMessage[] }
export interface Conversation {
  id: string; instanceId: string | null; state: 'open' | 'handoff' | string; unreadCount: number; contact: Contact;
  lastMessage: { id: string; direction: string; type: string; text: string | null; status: string; createdAt: string } | null;
}
