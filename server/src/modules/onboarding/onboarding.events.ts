import type { JobDeps } from '../../queue/job-types.js';
import type { OnboardingKind, StepError } from './onboarding.table.js';

// The hook point other domains subscribe to when an onboarding run ends (tenant webhooks turn it
// into `onboarding.succeeded` / `onboarding.failed`). The registry (queue/registry.ts) lists the
// hooks, as it lists the inbound ones.
//
// AT LEAST ONCE: a run's end is committed first (state, finished_at), then each hook is told, then
// the run is marked notified. A worker killed in between leaves notified_at null, and the sweep
// (resumeOnboardingSweep) tells the hooks again. A retried run that ends again tells them again,
// with its new state. So a hook keys what it writes on (runId, state, finishedAt).

export interface OnboardingFinished {
  runId: string;
  kind: OnboardingKind;
  state: 'succeeded' | 'failed';
  /** The tenant the run created; null when it failed before creating one. */
  tenantId: string | null;
  phoneNumberRowId: string | null;
  instanceId: string | null;
  /** Meta's Phone Number ID and WABA, when known. */
  phoneNumberId: string | null;
  wabaId: string | null;
  businessName: string;
  /** The failed step's error (null on success). */
  error: StepError | null;
  finishedAt: Date;
}

export interface OnboardingFinishHook {
  /** For logs and errors. */
  name: string;
  /** Idempotent (see above). Throwing leaves the run unnotified; the sweep retries. */
  afterFinish(deps: JobDeps, event: OnboardingFinished): Promise<void>;
}
