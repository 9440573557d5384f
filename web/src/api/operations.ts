// Every operation the dashboard sends, in one place.

export const VIEWER = /* GraphQL */ `query Viewer { viewer { kind tenant { id name } } }`;

const PAGE = 'pageInfo { hasNextPage endCursor } totalCount';

export const TENANTS = `query Tenants($first: Int, $after: String, $filter: TenantFilter) {
  tenants(first: $first, after: $after, filter: $filter) { edges { node { id name createdAt apiKeys { id name prefix createdAt lastUsedAt revokedAt } } } ${PAGE} }
}`;
export const TENANT_OPTIONS = `query TenantOptions { tenants(first: 100) { edges { node { id name } } totalCount } }`;
export const CREATE_TENANT = `mutation CreateTenant($input: CreateTenantInput!) { createTenant(input: $input) { id name createdAt apiKeys { id name prefix createdAt lastUsedAt revokedAt } } }`;
export const CREATE_API_KEY = `mutation CreateApiKey($tenantId: ID!, $name: String) { createApiKey(tenantId: $tenantId, name: $name) { secret apiKey { id name prefix createdAt lastUsedAt revokedAt } } }`;
export const REVOKE_API_KEY = `mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;

export const PHONE_NUMBERS = `query PhoneNumbers($first: Int, $after: String, $filter: PhoneNumberFilter) {
  phoneNumbers(first: $first, after: $after, filter: $filter) { edges { node { id tenantId phoneNumberId displayPhoneNumber wabaId verifiedName status qualityRating throughputTier hasOwnToken createdAt instance { id name status } } } ${PAGE} }
}`;
export const PHONE_NUMBER_OPTIONS = `query PhoneNumberOptions { phoneNumbers(first: 100) { edges { node { id tenantId phoneNumberId displayPhoneNumber throughputTier instance { id } } } totalCount } }`;
export const ADD_PHONE_NUMBER = `mutation AddPhoneNumber($input: AddPhoneNumberInput!) { addPhoneNumber(input: $input) { id } }`;

export const INSTANCES = `query Instances($first: Int, $after: String, $filter: InstanceFilter) {
  instances(first: $first, after: $after, filter: $filter) { edges { node { id tenantId name status timezone createdAt phoneNumber { id phoneNumberId displayPhoneNumber } automationRules { id name enabled } } } ${PAGE} }
}`;
export const INSTANCE_OPTIONS = `query InstanceOptions { instances(first: 100) { edges { node { id tenantId name phoneNumber { id phoneNumberId displayPhoneNumber } } } totalCount } }`;
export const CREATE_INSTANCE = `mutation CreateInstance($input: CreateInstanceInput!) { createInstance(input: $input) { id } }`;
export const UPDATE_INSTANCE = `mutation UpdateInstance($input: UpdateInstanceInput!) { updateInstance(input: $input) { id status } }`;

export const RULE_TEMPLATES = `query RuleTemplates($first: Int, $after: String, $filter: RuleTemplateFilter) {
  ruleTemplates(first: $first, after: $after, filter: $filter) { edges { node { id name description version updatedAt rules variables { name description required default } } } ${PAGE} }
}`;
export const APPLY_RULE_TEMPLATE = `mutation ApplyRuleTemplate($input: ApplyRuleTemplateInput!) { applyRuleTemplate(input: $input) { id name } }`;

// Live traffic. Panels built on operator-only or newer operations show "unavailable" when a server
// rejects them (an older server, or a tenant key) instead of breaking the page.
export const WEBHOOK_ACTIVITY = `subscription WebhookActivity($filter: WebhookActivityFilter) {
  webhookActivity(filter: $filter) { id kind direction tenantId instanceId phoneNumberId wabaId messageId wamid contactWaId contactName messageType status summary webhookEventId occurredAt }
}`;
export const TRAFFIC_SERIES = `query TrafficSeries { trafficSeries(seconds: 300) { at inbound outbound } }`;
export const QUEUE_HEALTH = `query QueueHealth { queueHealth { name waiting active delayed failed completed } }`;
export const RETRY_FAILED_JOBS = `mutation RetryFailedJobs($queue: String!) { retryFailedJobs(queue: $queue) }`;
export const UNROUTED_EVENTS = `query UnroutedEvents { unroutedEvents(first: 20) { edges { node { id phoneNumberId wabaId field fix createdAt webhookEventId } } totalCount } }`;
export const REPLAY_WEBHOOK_EVENT = `mutation ReplayWebhookEvent($id: ID!) { replayWebhookEvent(id: $id) { id state } }`;
export const WEBHOOK_EVENTS = `query WebhookEvents($first: Int, $after: String, $filter: WebhookEventFilter) {
  webhookEvents(first: $first, after: $after, filter: $filter) { edges { node { id state attempts error receivedAt processedAt summary tenantIds } } pageInfo { hasNextPage endCursor } totalCount }
}`;
export const WEBHOOK_EVENT_BODY = `query WebhookEventBody($id: ID!) { webhookEvent(id: $id) { id rawBody } }`;

// Messages and campaigns (issue 5).
export const MESSAGE_TEMPLATES = `query MessageTemplates($phoneNumberId: ID!) {
  messageTemplates(phoneNumberId: $phoneNumberId, first: 100, filter: { status: "APPROVED" }) { edges { node { id name language category status body variableCount } } totalCount }
}`;
export const SYNC_MESSAGE_TEMPLATES = `mutation SyncMessageTemplates($phoneNumberId: ID!) { syncMessageTemplates(phoneNumberId: $phoneNumberId) { id status } }`;
export const SEND_MESSAGE = `mutation SendMessage($input: SendMessageInput!) { sendMessage(input: $input) { id status type text createdAt contact { waId name } } }`;
export const RECENT_OUTBOUND = `query RecentOutbound($filter: MessageFilter) {
  messages(first: 10, filter: $filter) { edges { node { id status type text createdAt sentAt deliveredAt readAt failedAt errorTitle errorCode contact { waId name } } } totalCount }
}`;
const CAMPAIGN_FIELDS = 'id name state instanceId tenantId templateName templateLanguage recipientCount createdAt startedAt finishedAt progress { campaignId state total queued sending sent delivered read failed unknown updatedAt }';
export const CAMPAIGNS = `query Campaigns($first: Int, $after: String, $filter: CampaignFilter) {
  campaigns(first: $first, after: $after, filter: $filter) { edges { node { ${CAMPAIGN_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount }
}`;
export const CAMPAIGN = `query Campaign($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`;
export const SEND_CAMPAIGN = `mutation SendCampaign($input: SendCampaignInput!) { sendCampaign(input: $input) { id } }`;
export const PAUSE_CAMPAIGN = `mutation PauseCampaign($id: ID!) { pauseCampaign(id: $id) { id state } }`;
export const RESUME_CAMPAIGN = `mutation ResumeCampaign($id: ID!) { resumeCampaign(id: $id) { id state } }`;
export const CANCEL_CAMPAIGN = `mutation CancelCampaign($id: ID!) { cancelCampaign(id: $id) { id state } }`;
export const CAMPAIGN_PROGRESS = `subscription CampaignProgress($id: ID!) { campaignProgress(id: $id) { campaignId state total queued sending sent delivered read failed unknown updatedAt } }`;
export const NUMBER_THROUGHPUT = `query NumberThroughput { numberThroughput(first: 50) { edges { node { tier lastSecond lastMinute busiestSecond phoneNumber { id tenantId phoneNumberId displayPhoneNumber } } } totalCount } }`;

// Automation rules and conversations (issue 17).
const RULE_FIELDS = 'id tenantId instanceId name position enabled stop trigger conditions actions runCount lastRunAt ruleTemplateId';
export const INSTANCE_RULES = `query InstanceRules($id: ID!) {
  instance(id: $id) {
    id tenantId name status timezone handoffTimeoutHours phoneNumber { id phoneNumberId displayPhoneNumber } automationRules { ${RULE_FIELDS} }
    appliedTemplate { version upgradeAvailable template { id name } heldRules { ruleId status template language reason fix } }
  }
}`;
export const CREATE_AUTOMATION_RULE = `mutation CreateAutomationRule($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { ${RULE_FIELDS} } }`;
export const UPDATE_AUTOMATION_RULE = `mutation UpdateAutomationRule($input: UpdateAutomationRuleInput!) { updateAutomationRule(input: $input) { ${RULE_FIELDS} } }`;
export const DELETE_AUTOMATION_RULE = `mutation DeleteAutomationRule($id: ID!) { deleteAutomationRule(id: $id) }`;
export const REORDER_AUTOMATION_RULES = `mutation ReorderAutomationRules($instanceId: ID!, $ruleIds: [ID!]!) { reorderAutomationRules(instanceId: $instanceId, ruleIds: $ruleIds) { ${RULE_FIELDS} } }`;
export const TEST_AUTOMATION_RULES = `query TestAutomationRules($input: TestAutomationRulesInput!) {
  testAutomationRules(input: $input) { verdicts { ruleId name outcome reason } replies { ruleId ruleName actionIndex type text payload sent skipReason } }
}`;

const CONTACT_FIELDS = 'id tenantId waId name phoneNumberId tags createdAt inHandoff handoffStartedAt handoffExpiresAt handoffNote lastInboundAt windowClosesAt';
export const CONVERSATIONS = `query Conversations($first: Int, $after: String, $filter: ConversationFilter) {
  conversations(first: $first, after: $after, filter: $filter) { edges { node { id instanceId state unreadCount contact { ${CONTACT_FIELDS} } lastMessage { id direction type text status createdAt } } } ${PAGE} }
}`;
export const CONVERSATION = `query Conversation($contactId: ID!) {
  conversation(contactId: $contactId) {
    contact { ${CONTACT_FIELDS} }
    messages { id direction type text payload status createdAt instanceId automationRuleId errorTitle errorCode errorDetail answeredBy { id ruleId ruleName status matched actions outboundMessageIds } }
  }
}`;
export const MARK_CONVERSATION_READ = `mutation MarkConversationRead($contactId: ID!) { markConversationRead(contactId: $contactId) { id } }`;
export const RESOLVE_HANDOFF = `mutation ResolveHandoff($contactId: ID!) { resolveHandoff(contactId: $contactId) { ${CONTACT_FIELDS} } }`;
export const TAG_CONTACT = `mutation TagContact($contactId: ID!, $tag: String!) { tagContact(contactId: $contactId, tag: $tag) { ${CONTACT_FIELDS} } }`;
export const UNTAG_CONTACT = `mutation UntagContact($contactId: ID!, $tag: String!) { untagContact(contactId: $contactId, tag: $tag) { ${CONTACT_FIELDS} } }`;
export const SEND_REPLY = `mutation SendReply($input: SendMessageInput!) { sendMessage(input: $input) { id direction type text payload status createdAt instanceId automationRuleId errorTitle errorCode errorDetail answeredBy { id ruleId ruleName status matched actions outboundMessageIds } } }`;
