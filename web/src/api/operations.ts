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
export const PHONE_NUMBER_OPTIONS = `query PhoneNumberOptions($filter: PhoneNumberFilter) { phoneNumbers(first: 100, filter: $filter) { edges { node { id tenantId phoneNumberId displayPhoneNumber throughputTier instance { id } } } totalCount } }`;
export const ADD_PHONE_NUMBER = `mutation AddPhoneNumber($input: AddPhoneNumberInput!) { addPhoneNumber(input: $input) { id } }`;

export const INSTANCES = `query Instances($first: Int, $after: String, $filter: InstanceFilter) {
  instances(first: $first, after: $after, filter: $filter) { edges { node { id tenantId name status timezone createdAt phoneNumber { id phoneNumberId displayPhoneNumber } automationRules { id name enabled } } } ${PAGE} }
}`;
export const INSTANCE_OPTIONS = `query InstanceOptions { instances(first: 100) { edges { node { id tenantId name phoneNumber { phoneNumberId displayPhoneNumber } } } totalCount } }`;
export const CREATE_INSTANCE = `mutation CreateInstance($input: CreateInstanceInput!) { createInstance(input: $input) { id } }`;
export const UPDATE_INSTANCE = `mutation UpdateInstance($input: UpdateInstanceInput!) { updateInstance(input: $input) { id status } }`;

export const RULE_TEMPLATES = `query RuleTemplates($first: Int, $after: String, $filter: RuleTemplateFilter) {
  ruleTemplates(first: $first, after: $after, filter: $filter) { edges { node { id name description version updatedAt rules variables { name description required default } } } ${PAGE} }
}`;
export const APPLY_RULE_TEMPLATE = `mutation ApplyRuleTemplate($input: ApplyRuleTemplateInput!) { applyRuleTemplate(input: $input) { id name } }`;

// Live traffic. queueHealth, retryFailedJobs, unroutedEvents and trafficSeries come with the
// operations work in progress on the server: panels show "unavailable" while the server rejects them.
export const WEBHOOK_ACTIVITY = `subscription WebhookActivity($filter: WebhookActivityFilter) {
  webhookActivity(filter: $filter) { id kind direction tenantId instanceId phoneNumberId wabaId messageId wamid contactWaId contactName messageType status summary webhookEventId occurredAt }
}`;
export const TRAFFIC_SERIES = `query TrafficSeries($seconds: Int) { trafficSeries(seconds: $seconds) { at inbound outbound } }`;
export const QUEUE_HEALTH = `query QueueHealth { queueHealth { name waiting active delayed failed completed } }`;
export const RETRY_FAILED_JOBS = `mutation RetryFailedJobs($queue: String!) { retryFailedJobs(queue: $queue) }`;
export const UNROUTED_EVENTS = `query UnroutedEvents { unroutedEvents(first: 20) { edges { node { id phoneNumberId wabaId field fix createdAt } } totalCount } }`;
