// Every queue name and job name, the one place their strings live. Producers (services that
// enqueue) and the registry (which binds a name to its handler) both import them from here.

export const QueueName = {
  Webhooks: 'webhooks',
  Outbound: 'outbound',
  Onboarding: 'onboarding',
  TenantWebhooks: 'tenant-webhooks',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  /** webhooks: apply a group of stored webhook events, then run the after-commit hooks. */
  ProcessWebhookEvents: 'process',
  /** outbound: send one message. */
  Send: 'send',
  /** outbound: send several messages of one campaign together. */
  SendBatch: 'send-batch',
  /** outbound: enqueue a campaign's messages, then tick its progress until it is finished. */
  Campaign: 'campaign',
  /** onboarding: advance one onboarding run through its steps, until it ends or waits. */
  AdvanceOnboarding: 'advance-onboarding',
  /** tenant-webhooks: one attempt of one delivery of an event to a tenant's endpoint. */
  DeliverWebhook: 'deliver',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];
