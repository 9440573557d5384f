import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import type { JobDeps } from '../../queue/job-types.js';
import { ConflictError, ForbiddenError, MetaRequestError, NotFoundError, UnauthenticatedError, ValidationError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { parsePhoneNumber, requireName } from '../../lib/phone.js';
import { decryptSecret, encryptSecret, sha256Hex } from '../../lib/secrets.js';
import { isUuid } from '../../lib/sql.js';
import { isMetaApiError } from '../../meta/meta-errors.js';
import { OPERATOR, assertOperator, tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { RuleTemplateService } from '../rule-templates/rule-templates.service.js';
import { resolveValues } from '../rule-templates/rule-templates.variables.js';
import { tenants, type TenantRow } from '../tenants/tenants.table.js';
import { phoneNumbers, type PhoneNumberRow } from '../phone-numbers/phone-numbers.table.js';
import { instances, type InstanceRow } from '../instances/instances.table.js';
import { classifyStepFailure } from './onboarding.errors.js';
import { enqueueAdvance, publishProgress } from './onboarding.runner.js';
import { STEPS } from './onboarding.steps.js';
import {
  ONBOARDING_STATES, onboardingInvites, onboardingRuns, onboardingSteps,
  type OnboardingInput, type OnboardingInviteRow, type OnboardingKind, type OnboardingRunRow, type OnboardingState, type OnboardingStepRow,
} from './onboarding.table.js';

// Starting, following and steering onboarding runs. The steps themselves run in the worker
// (onboarding.runner.ts); this service creates the run, hands the SMS code to Meta, retries,
// cancels, and answers who may see what: the operator everything, a tenant its own runs, an
// invite's page its one run.

/** Who asks: a viewer (operator or tenant key), or the holder of an invite link (no key). */
export type OnboardingCaller = { viewer: Viewer; inviteToken?: string | null };

export interface QuickSetupInput {
  businessName: string;
  phoneNumber: string;
  country?: string | null;
  ruleTemplateId?: string | null;
  templateVariables?: Record<string, unknown> | null;
}

export interface EmbeddedSignupInput {
  code: string;
  wabaId: string;
  phoneNumberId: string;
  businessName: string;
  ruleTemplateId?: string | null;
  templateVariables?: Record<string, unknown> | null;
}

/** Invite tokens: `whi_` + 24 random bytes; only their hash is stored. */
export const INVITE_TOKEN_PREFIX = 'whi_';

export class OnboardingService {
  constructor(
    private readonly deps: Pick<JobDeps, 'db' | 'queues' | 'graph' | 'publisher' | 'env'>,
    private readonly ruleTemplates: RuleTemplateService,
  ) {}

  private get db() {
    return this.deps.db;
  }

  // ---- starting ----------------------------------------------------------------------------

  async quickSetup(caller: OnboardingCaller, input: QuickSetupInput): Promise<OnboardingRunRow> {
    const invite = await this.startingInvite(caller);
    const businessName = requireName(input.businessName, 'businessName', 100);
    const phone = parsePhoneNumber(input.phoneNumber, { field: 'phoneNumber', defaultCountry: input.country?.trim() || null, countryField: 'country' });
    const template = await this.checkTemplate(input.ruleTemplateId ?? invite?.ruleTemplateId ?? null, input.templateVariables ?? invite?.templateVariables ?? null, businessName);
    return this.start('quick_setup', {
      businessName, ...template,
      phone: { e164: phone.e164, cc: phone.countryCallingCode, national: phone.nationalNumber, typed: input.phoneNumber, country: phone.country ?? input.country?.trim().toUpperCase() ?? null },
    }, { invite });
  }

  async startEmbeddedSignup(caller: OnboardingCaller, input: EmbeddedSignupInput): Promise<OnboardingRunRow> {
    const invite = await this.startingInvite(caller);
    const businessName = requireName(input.businessName, 'businessName', 100);
    const code = input.code?.trim();
    if (!code) throw new ValidationError('code: the one-time code Embedded Signup returned is required', 'code');
    const wabaId = metaId(input.wabaId, 'wabaId');
    const phoneNumberId = metaId(input.phoneNumberId, 'phoneNumberId');
    const template = await this.checkTemplate(input.ruleTemplateId ?? invite?.ruleTemplateId ?? null, input.templateVariables ?? invite?.templateVariables ?? null, businessName);
    return this.start('embedded_signup', { businessName, ...template, wabaId, phoneNumberId }, { invite, signupCode: code });
  }

  private async start(kind: OnboardingKind, input: OnboardingInput, options: { invite: OnboardingInviteRow | null; signupCode?: string }): Promise<OnboardingRunRow> {
    const run = await this.db.transaction(async (tx) => {
      const [row] = await tx.insert(onboardingRuns).values({
        kind, input, inviteId: options.invite?.id ?? null,
        signupCode: options.signupCode ? encryptSecret(options.signupCode, this.deps.env.SECRETS_KEY) : null,
      }).returning();
      await tx.insert(onboardingSteps).values(STEPS[kind].map((name, position) => ({ runId: row.id, position, name })));
      if (options.invite) {
        // Single use: the invite is spent by the run it started (a concurrent second start loses here).
        const [spent] = await tx.update(onboardingInvites).set({ usedAt: new Date(), runId: row.id })
          .where(and(eq(onboardingInvites.id, options.invite.id), isNull(onboardingInvites.usedAt))).returning();
        if (!spent) throw new ConflictError('this invite was already used: ask the operator for a new link');
      }
      return row;
    });
    await enqueueAdvance(this.deps, run);
    publishProgress(this.deps, run);
    return run;
  }

  /** A template chosen at the start is checked at the start, so a run never fails at its end for a typo. */
  private async checkTemplate(ruleTemplateId: string | null, variables: Record<string, unknown> | null, businessName: string) {
    if (!ruleTemplateId) return { ruleTemplateId: null, templateVariables: {} };
    const template = await this.ruleTemplates.findOrFail(OPERATOR, ruleTemplateId);
    const version = await this.ruleTemplates.version(template);
    const given = { ...(variables ?? {}) };
    // The business's name fills a template's business_name unless given.
    if (version.variables.some((v) => v.name === 'business_name') && given.business_name === undefined) given.business_name = businessName;
    resolveValues(version.variables, given, 'templateVariables');
    return { ruleTemplateId: template.id, templateVariables: given };
  }

  // ---- steering ------------------------------------------------------------------------------

  /**
   * Hands the code the client received to Meta (verify_code). A wrong code is an error now, and
   * recorded on the step; the run keeps waiting for the right one.
   */
  async submitVerificationCode(caller: OnboardingCaller, runId: string, code: string): Promise<OnboardingRunRow> {
    const run = await this.findForChange(caller, runId);
    const digits = code.replace(/\D/g, '');
    if (!/^\d{6}$/.test(digits)) throw new ValidationError('code: the 6 digits of the SMS Meta sent', 'code');
    if (run.state !== 'waiting_for_code') throw new ConflictError(`run ${run.id} is ${run.state}, not waiting for a code`);
    const [step] = await this.db.select().from(onboardingSteps).where(and(eq(onboardingSteps.runId, run.id), eq(onboardingSteps.name, 'verify_code')));
    const phoneNumberId = run.facts.phoneNumberId!;
    const token = run.businessToken ? decryptSecret(run.businessToken, this.deps.env.SECRETS_KEY) : this.deps.env.META_SYSTEM_TOKEN;
    const request = { method: 'POST', path: `${phoneNumberId}/verify_code`, body: { code: '******' } };
    await this.db.update(onboardingSteps).set({ attempts: sql`${onboardingSteps.attempts} + 1` }).where(eq(onboardingSteps.id, step.id));
    try {
      const answer = await this.deps.graph.verifyCode(phoneNumberId, digits, token);
      await this.db.update(onboardingSteps).set({ state: 'succeeded', finishedAt: new Date(), request, answer, error: null }).where(eq(onboardingSteps.id, step.id));
    } catch (error) {
      if (!isMetaApiError(error)) throw error;
      const { error: stepError } = classifyStepFailure('verify_code', error);
      await this.db.update(onboardingSteps).set({ request, answer: error.toJSON(), error: stepError }).where(eq(onboardingSteps.id, step.id));
      publishProgress(this.deps, run);
      throw new MetaRequestError(`verify_code: ${stepError.message.replace(/\.$/, '')}. Fix: ${stepError.fix}`, { step: 'verify_code', metaCode: error.code, fix: stepError.fix, field: 'code' });
    }
    return this.resume(run, 'waiting_for_code');
  }

  /**
   * Resumes a failed run from its failed step (finished steps are never redone), or re-asks Meta
   * for an SMS code while the run waits for one. `code`: a new Embedded Signup code (the old one
   * was used or expired; the token is exchanged again). `pin`: the number's existing two-step PIN.
   */
  async retry(caller: OnboardingCaller, runId: string, options: { code?: string | null; pin?: string | null } = {}): Promise<OnboardingRunRow> {
    const run = await this.findForChange(caller, runId);
    if (options.pin != null && !/^\d{6}$/.test(options.pin)) throw new ValidationError('pin: the two-step verification PIN is 6 digits', 'pin');
    if (options.code != null && run.kind !== 'embedded_signup') throw new ValidationError('code: only an Embedded Signup run takes a new code', 'code');
    const secrets: Partial<OnboardingRunRow> = {};
    if (options.pin) secrets.pin = encryptSecret(options.pin, this.deps.env.SECRETS_KEY);
    if (options.code?.trim()) Object.assign(secrets, { signupCode: encryptSecret(options.code.trim(), this.deps.env.SECRETS_KEY), businessToken: null });
    if (run.state === 'waiting_for_code') {
      // No SMS arrived (or it expired): ask for another one.
      await this.db.update(onboardingSteps).set({ state: 'pending', finishedAt: null, error: null, retryAt: null })
        .where(and(eq(onboardingSteps.runId, run.id), inArray(onboardingSteps.name, ['request_code', 'verify_code'])));
      await this.db.update(onboardingRuns).set({ ...secrets, facts: { ...run.facts, codeRequested: false }, state: 'running' }).where(eq(onboardingRuns.id, run.id));
      return this.resume(run, 'running');
    }
    if (run.state !== 'failed') throw new ConflictError(`run ${run.id} is ${run.state}: only a failed run (or one waiting for a code) is retried`);
    // A new code is exchanged for a new token, which is checked again.
    const redo = options.code?.trim() ? ['exchange_code', 'check_token'] : [];
    await this.db.update(onboardingSteps).set({ state: 'pending', finishedAt: null, retryAt: null, attempts: 0 })
      .where(and(eq(onboardingSteps.runId, run.id), or(eq(onboardingSteps.state, 'failed'), redo.length > 0 ? inArray(onboardingSteps.name, redo) : undefined)));
    const [updated] = await this.db.update(onboardingRuns).set({ ...secrets, state: 'running', finishedAt: null, notifiedAt: null })
      .where(and(eq(onboardingRuns.id, run.id), eq(onboardingRuns.state, 'failed'))).returning();
    if (!updated) throw new ConflictError(`run ${run.id} changed meanwhile; read it again`);
    await enqueueAdvance(this.deps, updated);
    publishProgress(this.deps, updated);
    return updated;
  }

  async cancel(caller: OnboardingCaller, runId: string): Promise<OnboardingRunRow> {
    const run = await this.findForChange(caller, runId);
    if (run.state === 'cancelled') return run;
    if (run.state === 'succeeded') throw new ConflictError(`run ${run.id} succeeded already: remove its tenant instead`);
    const [cancelled] = await this.db.update(onboardingRuns).set({ state: 'cancelled', finishedAt: new Date() })
      .where(and(eq(onboardingRuns.id, run.id), inArray(onboardingRuns.state, ['running', 'waiting_for_code', 'failed']))).returning();
    const row = cancelled ?? (await this.findRow(run.id))!;
    publishProgress(this.deps, row);
    return row;
  }

  private async resume(run: OnboardingRunRow, from: OnboardingState): Promise<OnboardingRunRow> {
    const [updated] = await this.db.update(onboardingRuns).set({ state: 'running' }).where(and(eq(onboardingRuns.id, run.id), eq(onboardingRuns.state, from))).returning();
    const row = updated ?? (await this.findRow(run.id))!;
    await enqueueAdvance(this.deps, row);
    publishProgress(this.deps, row);
    return row;
  }

  // ---- reading -------------------------------------------------------------------------------

  async findOrFail(caller: OnboardingCaller, id: string): Promise<OnboardingRunRow> {
    const run = isUuid(id) ? await this.findRow(id) : undefined;
    if (!run) throw new NotFoundError('OnboardingRun', id);
    if (caller.inviteToken) {
      const invite = await this.inviteOrFail(caller.inviteToken, { allowUsed: true });
      if (invite.runId !== run.id) throw new NotFoundError('OnboardingRun', id);
      return run;
    }
    const scope = tenantScope(caller.viewer);
    if (scope && run.tenantId !== scope) throw new NotFoundError('OnboardingRun', id);
    return run;
  }

  async list(viewer: Viewer, filter: { state?: string | null }, page: PageRequest) {
    if (filter.state && !ONBOARDING_STATES.includes(filter.state as OnboardingState)) throw new ValidationError(`state: must be one of ${ONBOARDING_STATES.join(', ')}`, 'state');
    const scope = tenantScope(viewer);
    return paginate(this.db, onboardingRuns, and(
      scope ? eq(onboardingRuns.tenantId, scope) : undefined,
      filter.state ? eq(onboardingRuns.state, filter.state as OnboardingState) : undefined,
    ), page);
  }

  async steps(runId: string): Promise<OnboardingStepRow[]> {
    return this.db.select().from(onboardingSteps).where(eq(onboardingSteps.runId, runId)).orderBy(asc(onboardingSteps.position));
  }

  /** The API key's secret, once: the first read takes it off the run for good. Only the operator or the invite's page. */
  async takeApiKeySecret(caller: OnboardingCaller, run: OnboardingRunRow): Promise<string | null> {
    if (caller.viewer.kind !== 'operator' && !caller.inviteToken) return null;
    const [taken] = await this.db.update(onboardingRuns).set({ apiKeySecret: null })
      .where(and(eq(onboardingRuns.id, run.id), sql`${onboardingRuns.apiKeySecret} is not null`))
      .returning({ id: onboardingRuns.id });
    if (!taken || !run.apiKeySecret) return null;
    // The row read before the update holds the secret: only the caller whose update took it sees it.
    return decryptSecret(run.apiKeySecret, this.deps.env.SECRETS_KEY);
  }

  async tenantOf(run: OnboardingRunRow): Promise<TenantRow> {
    const [row] = await this.db.select().from(tenants).where(eq(tenants.id, run.tenantId!));
    return row;
  }

  async phoneNumberOf(run: OnboardingRunRow): Promise<PhoneNumberRow | null> {
    if (!run.phoneNumberRowId) return null;
    const [row] = await this.db.select().from(phoneNumbers).where(eq(phoneNumbers.id, run.phoneNumberRowId));
    return row ?? null;
  }

  async instanceOf(run: OnboardingRunRow): Promise<InstanceRow | null> {
    if (!run.instanceId) return null;
    const [row] = await this.db.select().from(instances).where(eq(instances.id, run.instanceId));
    return row ?? null;
  }

  /** What the invite page's Connect WhatsApp button needs: Meta's SDK settings, or the simulator's popup in development. */
  signupSettings(): { appId: string | null; configId: string | null; simulatorSignupUrl: string | null } {
    const env = this.deps.env;
    const simulatorSignupUrl = env.NODE_ENV !== 'production' && !env.META_APP_CONFIG_ID
      ? new URL(`/dialog/embedded-signup?app_id=${encodeURIComponent(env.META_APP_ID)}`, env.META_GRAPH_URL).toString()
      : null;
    return { appId: env.META_APP_ID, configId: env.META_APP_CONFIG_ID || null, simulatorSignupUrl };
  }

  private async findRow(id: string): Promise<OnboardingRunRow | undefined> {
    const [run] = await this.db.select().from(onboardingRuns).where(eq(onboardingRuns.id, id));
    return run;
  }

  /** A run the caller may steer: the operator's, or the invite's own run. Tenants watch; they do not steer. */
  private async findForChange(caller: OnboardingCaller, id: string): Promise<OnboardingRunRow> {
    if (!caller.inviteToken) assertOperator(caller.viewer);
    return this.findOrFail(caller, id);
  }

  // ---- invites -------------------------------------------------------------------------------

  async createInvite(viewer: Viewer, input: { businessName?: string | null; ruleTemplateId?: string | null; templateVariables?: Record<string, unknown> | null; expiresInHours?: number | null }): Promise<{ invite: OnboardingInviteRow; token: string }> {
    assertOperator(viewer);
    const hours = input.expiresInHours ?? this.deps.env.ONBOARDING_INVITE_TTL_HOURS;
    if (!Number.isInteger(hours) || hours < 1 || hours > 720) throw new ValidationError('expiresInHours: a whole number of hours from 1 to 720', 'expiresInHours');
    const businessName = input.businessName?.trim() ? requireName(input.businessName, 'businessName', 100) : null;
    const template = input.ruleTemplateId ? await this.checkTemplate(input.ruleTemplateId, input.templateVariables ?? null, businessName ?? 'Business') : null;
    const token = `${INVITE_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    const [invite] = await this.db.insert(onboardingInvites).values({
      tokenHash: sha256Hex(token), businessName, ruleTemplateId: template?.ruleTemplateId ?? null,
      templateVariables: input.templateVariables ?? null, expiresAt: new Date(Date.now() + hours * 3600_000),
    }).returning();
    return { invite, token };
  }

  /** The invite a token names; throws UNAUTHENTICATED when unknown or expired, CONFLICT when spent (unless allowUsed). */
  async inviteOrFail(token: string, options: { allowUsed?: boolean } = {}): Promise<OnboardingInviteRow> {
    const [invite] = await this.db.select().from(onboardingInvites).where(and(eq(onboardingInvites.tokenHash, sha256Hex(token)), gt(onboardingInvites.expiresAt, new Date())));
    if (!invite) throw new UnauthenticatedError('this invite link is unknown or expired: ask the operator for a new one');
    if (invite.usedAt && !options.allowUsed) throw new ConflictError('this invite was already used: ask the operator for a new link');
    return invite;
  }

  /** Starting a run: the operator, or an unused invite. */
  private async startingInvite(caller: OnboardingCaller): Promise<OnboardingInviteRow | null> {
    if (caller.inviteToken) return this.inviteOrFail(caller.inviteToken);
    if (caller.viewer.kind !== 'operator') throw new ForbiddenError('only the operator (or an invite link) starts an onboarding');
    return null;
  }
}

function metaId(value: string, field: string): string {
  const trimmed = (value ?? '').trim();
  if (!/^\d{5,25}$/.test(trimmed)) throw new ValidationError(`${field}: "${value}" is not a Meta id (digits only)`, field);
  return trimmed;
}

export type { OnboardingRunRow };
