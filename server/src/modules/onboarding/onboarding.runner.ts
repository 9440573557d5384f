import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { JobDeps } from '../../queue/job-types.js';
import { Topics } from '../../graphql/pubsub.js';
import { JobName } from '../../queue/names.js';
import { classifyStepFailure } from './onboarding.errors.js';
import type { OnboardingFinishHook, OnboardingFinished } from './onboarding.events.js';
import { STEP_FUNCTIONS, type StepOutcome } from './onboarding.steps.js';
import { onboardingRuns, onboardingSteps, type OnboardingRunRow, type OnboardingState, type OnboardingStepRow, type StepError } from './onboarding.table.js';

// Advances one run as far as it can go: the next unfinished step is marked running (attempts + 1),
// run, and its outcome recorded, until the run ends or waits for someone (the SMS code, the first
// message). One job at a time per run: a transaction-scoped advisory lock, held while the run
// advances, released by Postgres if the worker dies. Every write is committed on its own at
// once, so progress is live and a killed worker's successor sees exactly where it stopped.

/** Attempts of a step on transient errors before the run fails with that error. */
export const MAX_STEP_ATTEMPTS = 6;

export interface AdvanceJob {
  /** The run's tenant once made; null before (the run spans no tenant yet). */
  tenantId: string | null;
  runId: string;
}

export interface OnboardingProgressPayload {
  tenantId: string | null;
  runId: string;
  state: OnboardingState;
  inviteId: string | null;
}

/** Thrown when another job holds the run: BullMQ retries this one shortly. */
export class RunBusyError extends Error {
  constructor(runId: string) {
    super(`onboarding run ${runId} is being advanced by another job; retried shortly`);
    this.name = 'RunBusyError';
  }
}

export async function enqueueAdvance(deps: Pick<JobDeps, 'queues'>, run: Pick<OnboardingRunRow, 'id' | 'tenantId'>, delayMs = 0): Promise<void> {
  const payload: AdvanceJob = { tenantId: run.tenantId, runId: run.id };
  await deps.queues.onboarding.add(JobName.AdvanceOnboarding, payload, { delay: delayMs, attempts: 30, backoff: { type: 'fixed', delay: 500 } });
}

export function publishProgress(deps: Pick<JobDeps, 'publisher'>, run: Pick<OnboardingRunRow, 'id' | 'tenantId' | 'state' | 'inviteId'>): void {
  const payload: OnboardingProgressPayload = { tenantId: run.tenantId, runId: run.id, state: run.state, inviteId: run.inviteId };
  deps.publisher.publish(Topics.OnboardingProgress, payload, run.id);
}

export async function advanceRun(deps: JobDeps, runId: string, hooks: readonly OnboardingFinishHook[]): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [{ locked }] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(hashtext('onboarding'), hashtext(${runId})) as locked`);
    if (!locked) throw new RunBusyError(runId);
    await advanceLocked(deps, runId, hooks);
  });
}

async function loadRun(deps: JobDeps, runId: string): Promise<OnboardingRunRow | undefined> {
  const [run] = await deps.db.select().from(onboardingRuns).where(eq(onboardingRuns.id, runId));
  return run;
}

async function advanceLocked(deps: JobDeps, runId: string, hooks: readonly OnboardingFinishHook[]): Promise<void> {
  for (let guard = 0; guard < 50; guard += 1) {
    const run = await loadRun(deps, runId);
    if (!run) return;
    if (run.state === 'succeeded' || run.state === 'failed') {
      if (!run.notifiedAt) await notify(deps, run, hooks);
      return;
    }
    if (run.state !== 'running') return; // waiting_for_code, cancelled: someone must act
    const steps = await deps.db.select().from(onboardingSteps).where(eq(onboardingSteps.runId, runId)).orderBy(asc(onboardingSteps.position));
    const step = steps.find((s) => s.state !== 'succeeded' && s.state !== 'skipped');
    if (!step) {
      const [done] = await deps.db.update(onboardingRuns).set({ state: 'succeeded', finishedAt: new Date() }).where(and(eq(onboardingRuns.id, runId), eq(onboardingRuns.state, 'running'))).returning();
      if (done) {
        publishProgress(deps, done);
        deps.log.info({ runId, tenantId: done.tenantId }, 'onboarding: run succeeded');
      }
      continue;
    }
    if (step.state === 'waiting' || step.state === 'failed') return;
    const wait = step.retryAt ? step.retryAt.getTime() - Date.now() : 0;
    if (wait > 0) {
      await enqueueAdvance(deps, run, wait);
      return;
    }
    const keepGoing = await runStep(deps, run, step);
    if (!keepGoing) return;
  }
}

/** Runs one step and records its outcome; false when the run stops here (waiting, retry later, failed). */
async function runStep(deps: JobDeps, run: OnboardingRunRow, step: OnboardingStepRow): Promise<boolean> {
  const interrupted = step.state === 'running';
  const [started] = await deps.db.update(onboardingSteps).set({
    state: 'running', attempts: sql`${onboardingSteps.attempts} + 1`, startedAt: step.startedAt ?? new Date(), retryAt: null,
  }).where(eq(onboardingSteps.id, step.id)).returning();
  await deps.db.update(onboardingRuns).set({ updatedAt: new Date() }).where(eq(onboardingRuns.id, run.id));
  publishProgress(deps, run);
  const fn = STEP_FUNCTIONS[step.name];
  let outcome: StepOutcome;
  try {
    if (!fn) throw new Error(`no step "${step.name}"`);
    outcome = await fn({ deps, run, facts: run.facts, interrupted });
  } catch (error) {
    return recordFailure(deps, run, started, error);
  }
  const finished = outcome.state !== 'waiting';
  // Waiting only from running: the inbound hook may have finished the step meanwhile.
  const [recorded] = await deps.db.update(onboardingSteps).set({
    state: outcome.state, finishedAt: finished ? new Date() : null, request: outcome.request ?? null, answer: outcome.answer ?? null, error: null,
  }).where(and(eq(onboardingSteps.id, step.id), eq(onboardingSteps.state, 'running'))).returning();
  const runChanges: Partial<OnboardingRunRow> = {};
  if (outcome.facts) runChanges.facts = { ...run.facts, ...outcome.facts };
  if (recorded && outcome.runState) runChanges.state = outcome.runState;
  const [updated] = await deps.db.update(onboardingRuns).set({ ...runChanges, updatedAt: new Date() })
    .where(and(eq(onboardingRuns.id, run.id), eq(onboardingRuns.state, 'running'))).returning();
  publishProgress(deps, updated ?? run);
  deps.log.info({ runId: run.id, step: step.name, outcome: outcome.state, attempt: started.attempts }, `onboarding: step ${step.name} ${outcome.state}`);
  return finished || !recorded;
}

async function recordFailure(deps: JobDeps, run: OnboardingRunRow, step: OnboardingStepRow, error: unknown): Promise<boolean> {
  const failure = classifyStepFailure(step.name, error);
  if (failure.retryable && step.attempts < MAX_STEP_ATTEMPTS) {
    const delay = (failure.backoffMs ?? 1_000) * 2 ** (step.attempts - 1);
    await deps.db.update(onboardingSteps).set({ state: 'pending', error: failure.error, retryAt: new Date(Date.now() + delay) }).where(eq(onboardingSteps.id, step.id));
    deps.log.warn({ runId: run.id, step: step.name, attempt: step.attempts, delayMs: delay, err: failure.error }, 'onboarding: transient error; step retried');
    await enqueueAdvance(deps, run, delay);
    publishProgress(deps, run);
    return false;
  }
  await failRun(deps, run, step, failure.error);
  return false;
}

async function failRun(deps: JobDeps, run: OnboardingRunRow, step: OnboardingStepRow, error: StepError): Promise<void> {
  await deps.db.update(onboardingSteps).set({ state: 'failed', error, finishedAt: new Date() }).where(eq(onboardingSteps.id, step.id));
  const [failed] = await deps.db.update(onboardingRuns).set({ state: 'failed', finishedAt: new Date(), notifiedAt: null })
    .where(and(eq(onboardingRuns.id, run.id), inArray(onboardingRuns.state, ['running', 'waiting_for_code']))).returning();
  deps.log.warn({ runId: run.id, step: step.name, code: error.code, fix: error.fix }, `onboarding: run failed at ${step.name}: ${error.message}`);
  if (failed) publishProgress(deps, failed);
}

/** Tells the finish hooks, then marks the run notified (see onboarding.events.ts). */
export async function notify(deps: JobDeps, run: OnboardingRunRow, hooks: readonly OnboardingFinishHook[]): Promise<void> {
  if (run.state !== 'succeeded' && run.state !== 'failed') return;
  const [failedStep] = run.state === 'failed'
    ? await deps.db.select().from(onboardingSteps).where(and(eq(onboardingSteps.runId, run.id), eq(onboardingSteps.state, 'failed')))
    : [];
  const event: OnboardingFinished = {
    runId: run.id, kind: run.kind, state: run.state, tenantId: run.tenantId, phoneNumberRowId: run.phoneNumberRowId, instanceId: run.instanceId,
    phoneNumberId: run.facts.phoneNumberId ?? null, wabaId: run.facts.wabaId ?? null, businessName: run.input.businessName,
    error: failedStep?.error ?? null, finishedAt: run.finishedAt ?? new Date(),
  };
  for (const hook of hooks) {
    try {
      await hook.afterFinish(deps, event);
    } catch (error) {
      throw new Error(`onboarding finish hook "${hook.name}" failed: ${(error as Error).message}`, { cause: error });
    }
  }
  await deps.db.update(onboardingRuns).set({ notifiedAt: new Date() }).where(and(eq(onboardingRuns.id, run.id), isNull(onboardingRuns.notifiedAt), eq(onboardingRuns.state, run.state)));
}
