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

export const ACTIVITY_KINDS = ['inbound_message', 'outbound_message', 'status', 'template_status', 'account_update', 'unrouted', 'rejected'] as const;
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
