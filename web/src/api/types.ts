import type {
  ApiKeyFieldsFragment, CampaignFieldsFragment, CampaignProgressFieldsFragment, ContactFieldsFragment, ConversationQuery, ConversationsQuery,
  InstancesQuery, InstanceRulesQuery, MessageTemplatesQuery, NumberThroughputQuery, PhoneNumbersQuery, QueueHealthQuery, RuleFieldsFragment,
  RuleTemplatesQuery, SentMessageFieldsFragment, TenantFieldsFragment, TestAutomationRulesQuery, ThreadMessageFieldsFragment, TrafficSeriesQuery,
  UnroutedEventsQuery, ViewerQuery, WebhookActivityFilter, WebhookActivitySubscription, WebhookEventsQuery,
} from './generated';

// The shapes the dashboard reads. What the schema says comes from `pnpm codegen` (./generated.ts):
// each shape here is the result type of the operation that reads it. What the schema cannot say
// is written here: the JSON rule language (trigger, conditions, actions), the few JSON values the
// dashboard reads inside, and the closed lists of values the pages offer in their selects.

/** A Relay connection as the list composables page through it. */
export interface PageInfo { hasNextPage: boolean; endCursor: string | null }
export interface Connection<T> { edges: { node: T }[]; pageInfo: PageInfo; totalCount: number }
/** The node type of a connection in a result: NodeOf<InstancesQuery['instances']>. */
export type NodeOf<C> = C extends { edges: Array<{ node: infer N }> } ? N : never;

export type Viewer = NonNullable<ViewerQuery['viewer']>;
export type ViewerKind = 'operator' | 'tenant';

export type ApiKey = ApiKeyFieldsFragment;
export type Tenant = TenantFieldsFragment;
export type PhoneNumber = NodeOf<PhoneNumbersQuery['phoneNumbers']>;
export type Instance = NodeOf<InstancesQuery['instances']>;

export type RuleTemplate = NodeOf<RuleTemplatesQuery['ruleTemplates']>;
export type RuleTemplateVariable = RuleTemplate['variables'][number];

export const ACTIVITY_KINDS = ['inbound_message', 'outbound_message', 'status', 'template_status', 'account_update', 'unrouted', 'rejected', 'rule_fired', 'handoff'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];
export type Activity = WebhookActivitySubscription['webhookActivity'];
export type ActivityFilter = WebhookActivityFilter;

export type TrafficPoint = TrafficSeriesQuery['trafficSeries'][number];
export type QueueHealth = QueueHealthQuery['queueHealth'][number];
export type UnroutedEvent = NodeOf<UnroutedEventsQuery['unroutedEvents']>;
export type WebhookEvent = NodeOf<WebhookEventsQuery['webhookEvents']>;
/** WebhookEvent.summary (JSON): how many of each thing the event carried, e.g. { messages: 2, statuses: 1 }. */
export type WebhookEventSummary = Record<string, number>;

export type MessageTemplate = NodeOf<MessageTemplatesQuery['messageTemplates']>;
export type SentMessage = SentMessageFieldsFragment;
export type CampaignProgress = CampaignProgressFieldsFragment;
export type Campaign = CampaignFieldsFragment;
export type NumberThroughput = NodeOf<NumberThroughputQuery['numberThroughput']>;

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

/** A shape whose trigger, conditions and actions (JSON in the schema) are read in the rule language. */
export type InRuleLanguage<T> = Omit<T, 'trigger' | 'conditions' | 'actions'> & { trigger: RuleTrigger; conditions: RuleCondition[]; actions: RuleAction[] };

export type AutomationRule = InRuleLanguage<RuleFieldsFragment>;
export type RulesInstance = Omit<InstanceRulesQuery['instance'], 'automationRules'> & { automationRules: AutomationRule[] };

/**
 * A rule as the server answers it, read in the rule language. The server validates every rule on
 * write and answers the stored form (rules.schema.ts), so this is where the JSON is given its type.
 */
export const asRule = (rule: RuleFieldsFragment): AutomationRule => rule as AutomationRule;
export const asRules = (rules: RuleFieldsFragment[]): AutomationRule[] => rules.map(asRule);
export const asRulesInstance = (instance: InstanceRulesQuery['instance']): RulesInstance => ({ ...instance, automationRules: asRules(instance.automationRules) });

export type VerdictOutcome = 'fired' | 'no_match' | 'condition_failed' | 'disabled' | 'not_reached' | 'paused_for_handoff';
export type AutomationTestResult = TestAutomationRulesQuery['testAutomationRules'];
export type RuleVerdict = AutomationTestResult['verdicts'][number];
export type AutomationReply = AutomationTestResult['replies'][number];

// Conversations (issue 17).

export type Contact = ContactFieldsFragment;
export type ThreadMessage = ThreadMessageFieldsFragment;
export type RuleRunSummary = ThreadMessage['answeredBy'][number];
export type ConversationThread = ConversationQuery['conversation'];
export type Conversation = NodeOf<ConversationsQuery['conversations']>;
