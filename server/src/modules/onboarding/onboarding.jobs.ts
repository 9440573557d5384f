import type { Job } from 'bullmq';
import { and, eq, inArray, isNotNull, isNull, lt, notExists, sql } from 'drizzle-orm';
import type { JobDefinition, SweepDefinition } from '../../queue/job-types.js';
import { JobName } from '../../queue/names.js';
import type { OnboardingFinishHook } from './onboarding.events.js';
import { advanceRun, enqueueAdvance, type AdvanceJob } from './onboarding.runner.js';
import { onboardingRuns, onboardingSteps } from './onboarding.table.js';

// The onboarding queue's job and its sweep (bound in queue/registry.ts).

/** Advances a run (onboarding.runner.ts). Idempotent: it re-reads the run and its steps. */
export function advanceOnboardingJob(hooks: readonly OnboardingFinishHook[]): JobDefinition<AdvanceJob> {
  return {
    name: JobName.AdvanceOnboarding,
    handler: (deps) => async (job: Job<AdvanceJob>) => {
      await advanceRun({ ...deps, log: deps.log.child({ jobId: job.id, runId: job.data.runId, tenantId: job.data.tenantId }) }, job.data.runId, hooks);
    },
  };
}

/**
 * What Redis may have lost: a running run whose next step is not waiting for someone and that
 * has not moved for SWEEP_AFTER_MS, and a finished run whose hooks were not told. Enqueued again;
 * a run being advanced meanwhile makes the extra job wait its turn and find nothing to do.
 */
export const resumeOnboardingSweep: SweepDefinition = {
  name: 'onboarding: resume stalled runs',
  run: async (deps) => {
    const before = new Date(Date.now() - deps.env.SWEEP_AFTER_MS);
    const stalled = await deps.db.select({ id: onboardingRuns.id, tenantId: onboardingRuns.tenantId }).from(onboardingRuns).where(and(
      eq(onboardingRuns.state, 'running'), lt(onboardingRuns.updatedAt, before),
      notExists(deps.db.select({ one: sql`1` }).from(onboardingSteps).where(and(eq(onboardingSteps.runId, onboardingRuns.id), eq(onboardingSteps.state, 'waiting')))),
    )).limit(100);
    const unnotified = await deps.db.select({ id: onboardingRuns.id, tenantId: onboardingRuns.tenantId }).from(onboardingRuns).where(and(
      inArray(onboardingRuns.state, ['succeeded', 'failed']), isNull(onboardingRuns.notifiedAt), isNotNull(onboardingRuns.finishedAt), lt(onboardingRuns.finishedAt, before),
    )).limit(100);
    for (const run of [...stalled, ...unnotified]) await enqueueAdvance(deps, run);
    // Touch the stalled ones so the next sweep waits for this job instead of piling up more.
    if (stalled.length > 0) await deps.db.update(onboardingRuns).set({ updatedAt: new Date() }).where(inArray(onboardingRuns.id, stalled.map((r) => r.id)));
    return stalled.length + unnotified.length;
  },
};
