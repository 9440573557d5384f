import { QueueName } from './names.js';
import type { QueueDefinition, SweepDefinition } from './job-types.js';
import type { InboundHook } from '../modules/webhooks/webhooks.hooks.js';
import { processWebhookEventsJob, sweepUnfinishedEventsSweep } from '../modules/webhooks/webhooks.jobs.js';
import { reconcileUnknownSweep, repairStatusesSweep, requeueStaleSendsSweep, sendBatchJob, sendJob } from '../modules/outbound/outbound.jobs.js';
import { campaignJob, requeueStaleCampaignsSweep } from '../modules/campaigns/campaigns.jobs.js';
import { templateStatusHook } from '../modules/message-templates/message-templates.hooks.js';
import { automationHook } from '../modules/automation/automation.runner.js';
import { onboardingFirstMessageHook } from '../modules/onboarding/onboarding.hooks.js';
import { advanceOnboardingJob, resumeOnboardingSweep } from '../modules/onboarding/onboarding.jobs.js';
import type { OnboardingFinishHook } from '../modules/onboarding/onboarding.events.js';
import { tenantWebhooksHook, tenantWebhooksOnboardingHook } from '../modules/tenant-webhooks/tenant-webhooks.hooks.js';
import { deliverWebhookJob, sweepDueDeliveriesSweep } from '../modules/tenant-webhooks/tenant-webhooks.jobs.js';

// Every queue, every job, every sweep and every after-commit hook of wabahub, in one file: a
// reader finds all the background work here. Each domain declares its own in `<domain>.jobs.ts`
// (job names in names.ts, payload types that carry tenantId, idempotent handlers) and
// `<domain>.hooks.ts`; this file binds them.

/** Told, after each inbound job commits, what it newly stored (webhooks.hooks.ts: idempotent, at least once). In order. */
export const inboundHooks: readonly InboundHook[] = [
  // Template statuses first: a rule whose template Meta approved in this job may use it.
  templateStatusHook,
  automationHook,
  onboardingFirstMessageHook,
  // Last: it turns what the others did (rule runs, handoffs) into tenant webhooks too.
  tenantWebhooksHook,
];

/**
 * Told when an onboarding run succeeds or fails (onboarding.events.ts: at least once, after the
 * run's end is committed), in order. Tenant webhooks plug `onboarding.succeeded` / `.failed` in here.
 */
export const onboardingHooks: readonly OnboardingFinishHook[] = [tenantWebhooksOnboardingHook];

export const queueRegistry: readonly QueueDefinition[] = [
  {
    name: QueueName.Webhooks,
    concurrency: 16,
    jobs: [processWebhookEventsJob(inboundHooks)],
  },
  {
    name: QueueName.Outbound,
    concurrency: (deps) => deps.env.OUTBOUND_CONCURRENCY,
    // A send job that stalls (its worker was killed) is safe to run again: it finds its pending
    // attempt and does not resend. So it may stall any number of times, and is taken back soon
    // (a 10 s lock, renewed every 5 s, checked every 2 s) so a dead worker's sends resolve quickly.
    workerOptions: { maxStalledCount: 1_000, lockDuration: 10_000, stalledInterval: 2_000 },
    jobs: [sendJob, sendBatchJob, campaignJob],
  },
  {
    name: QueueName.Onboarding,
    concurrency: 4,
    // Steps are short Graph calls: a killed worker's run is taken back within seconds.
    workerOptions: { maxStalledCount: 1_000, lockDuration: 3_000, stalledInterval: 1_000 },
    jobs: [advanceOnboardingJob(onboardingHooks)],
  },
  {
    name: QueueName.TenantWebhooks,
    concurrency: (deps) => deps.env.WEBHOOK_DELIVERY_CONCURRENCY,
    // An attempt that stalls (its worker was killed mid-POST) is claimed again once its row's
    // claim lapses; taken back soon so a dead worker's deliveries resume quickly.
    workerOptions: { maxStalledCount: 1_000, lockDuration: 15_000, stalledInterval: 3_000 },
    jobs: [deliverWebhookJob],
  },
];

/** Run by one worker at a time, every SWEEP_INTERVAL_MS, in this order. */
export const sweepRegistry: readonly SweepDefinition[] = [
  sweepUnfinishedEventsSweep,
  requeueStaleSendsSweep,
  requeueStaleCampaignsSweep,
  reconcileUnknownSweep,
  repairStatusesSweep,
  resumeOnboardingSweep,
  sweepDueDeliveriesSweep,
];
