import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection } from '../../graphql/connection.js';
import { STEP_DESCRIPTIONS } from './onboarding.steps.js';
import type { OnboardingInviteRow, OnboardingKind, OnboardingRunRow, OnboardingState, OnboardingStepRow, StepError } from './onboarding.table.js';

@ObjectType({ description: 'Why a step failed (or, for verify_code, why the last code was refused): the step, Meta\'s code and message, and the fix in one sentence.' })
export class OnboardingStepError {
  @Field(() => String, { description: 'The step that failed.' }) step!: string;
  @Field(() => Int, { description: "Meta's error code (0 when wabahub itself decided, e.g. a scope missing from the token)." }) code!: number;
  @Field(() => String, { description: "What went wrong, in Meta's words where Meta answered." }) message!: string;
  @Field(() => String, { description: 'What to do about it, then retryOnboarding.' }) fix!: string;

  static from(error: StepError | null): OnboardingStepError | null {
    return error ? Object.assign(new OnboardingStepError(), error) : null;
  }
}

@ObjectType({ description: 'One step of an onboarding run.' })
export class OnboardingStep {
  @Field(() => String, { description: 'find_number, add_number, request_code, verify_code, register, subscribe_app, read_number, create_tenant, apply_template, verify_first_message (quick setup); exchange_code, check_token, read_numbers, then the same from subscribe_app (Embedded Signup).' })
  name!: string;

  @Field(() => String, { description: 'What the step does.' })
  description!: string;

  @Field(() => String, { description: 'pending, running, waiting (for the SMS code or the first message), succeeded, skipped (already done at Meta, or not needed) or failed.' })
  state!: string;

  @Field(() => Int, { description: 'How many times it was tried (transient Meta errors are retried with backoff).' })
  attempts!: number;

  @Field(() => Date, { nullable: true, description: 'When it first started.' })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it finished.' })
  finishedAt!: Date | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The Meta request that decided it (method, path, body; secrets masked).' })
  request!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: "Meta's answer to that request (tokens masked)." })
  answer!: unknown;

  @Field(() => OnboardingStepError, { nullable: true, description: 'Why it failed; for verify_code also the last wrong code while the run keeps waiting.' })
  error!: OnboardingStepError | null;

  static from(row: OnboardingStepRow): OnboardingStep {
    return Object.assign(new OnboardingStep(), {
      name: row.name, description: STEP_DESCRIPTIONS[row.name] ?? row.name, state: row.state, attempts: row.attempts, startedAt: row.startedAt,
      finishedAt: row.finishedAt, request: row.request, answer: row.answer, error: OnboardingStepError.from(row.error),
    });
  }
}

@ObjectType({ description: 'Onboarding one client: a persisted run of steps at Meta and in wabahub, resumable after any failure or restart.' })
export class OnboardingRun {
  @Field(() => ID, { description: 'The run id.' })
  id!: string;

  @Field(() => String, { description: 'quick_setup (a number typed by the operator or the client) or embedded_signup (the client connected through Meta\'s popup).' })
  kind!: OnboardingKind;

  @Field(() => String, { description: 'running, waiting_for_code (submitVerificationCode), succeeded, failed (see the failed step, fix, then retryOnboarding) or cancelled.' })
  state!: OnboardingState;

  @Field(() => String, { description: 'The client business name given.' })
  businessName!: string;

  @Field(() => String, { nullable: true, description: 'The number being onboarded, in E.164 form, as typed (quick setup) or as Meta shows it.' })
  phoneNumberE164!: string | null;

  @Field(() => String, { nullable: true, description: "Meta's Phone Number ID, once known." })
  metaPhoneNumberId!: string | null;

  @Field(() => String, { nullable: true, description: 'The WABA of the number, once known.' })
  wabaId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The tenant the run created (null until the create_tenant step).' })
  tenantId!: string | null;

  @Field(() => String, { nullable: true, description: 'The step the run is on (or stopped at); null once it succeeded.' })
  currentStep!: string | null;

  @Field(() => Date, { description: 'When the run started.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it succeeded, failed or was cancelled.' })
  finishedAt!: Date | null;

  /** The row, for the field resolvers (steps, tenant, number, instance, secret). */
  row!: OnboardingRunRow;

  static from(row: OnboardingRunRow): OnboardingRun {
    return Object.assign(new OnboardingRun(), {
      id: row.id, kind: row.kind, state: row.state, businessName: row.input.businessName,
      phoneNumberE164: row.input.phone?.e164 ?? (row.facts.displayPhoneNumber ? `+${row.facts.displayPhoneNumber.replace(/\D/g, '')}` : null),
      metaPhoneNumberId: row.facts.phoneNumberId ?? null, wabaId: row.facts.wabaId ?? null, tenantId: row.tenantId, currentStep: null,
      createdAt: row.createdAt, finishedAt: row.finishedAt, row,
    });
  }
}

export const OnboardingRunConnection = Connection(OnboardingRun, 'OnboardingRun');

@InputType({ description: 'Narrows onboardingRuns.' })
export class OnboardingRunFilter {
  @Field(() => String, { nullable: true, description: 'Only runs in this state: running, waiting_for_code, succeeded, failed or cancelled.' })
  state?: string | null;
}

@InputType({ description: 'Quick setup: two typed fields (the business name and the number), and optionally a configuration template.' })
export class QuickSetupInput {
  @Field(() => String, { description: 'The client business name: the tenant\'s name and, for a number Meta does not know yet, its display name (Meta reviews it).' })
  businessName!: string;

  @Field(() => String, { description: 'The number as people type it: "(11) 98765-4321" with country BR, or "+55 11 9 8765 4321".' })
  phoneNumber!: string;

  @Field(() => String, { nullable: true, description: 'ISO country code (BR, US...) to read a number typed without "+".' })
  country?: string | null;

  @Field(() => ID, { nullable: true, description: 'The configuration template to apply to the new instance.' })
  ruleTemplateId?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: "The template's variables { name: value }; business_name defaults to businessName." })
  templateVariables?: Record<string, unknown> | null;
}

@InputType({ description: "Embedded Signup: what Meta's popup returned, and the client's choices." })
export class StartEmbeddedSignupInput {
  @Field(() => String, { description: 'The one-time code (valid 10 minutes, once).' }) code!: string;
  @Field(() => String, { description: 'The WABA the client chose (waba_id).' }) wabaId!: string;
  @Field(() => String, { description: 'The phone number the client chose (phone_number_id).' }) phoneNumberId!: string;
  @Field(() => String, { description: "The client business name (the tenant's name)." }) businessName!: string;
  @Field(() => ID, { nullable: true, description: 'The configuration template to apply.' }) ruleTemplateId?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: "The template's variables; business_name defaults to businessName." }) templateVariables?: Record<string, unknown> | null;
}

@InputType({ description: 'An invite link a client uses to onboard alone.' })
export class CreateOnboardingInviteInput {
  @Field(() => String, { nullable: true, description: 'The business name, pre-filled on the invite page.' }) businessName?: string | null;
  @Field(() => ID, { nullable: true, description: 'The configuration template the client gets.' }) ruleTemplateId?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: "The template's variables." }) templateVariables?: Record<string, unknown> | null;
  @Field(() => Int, { nullable: true, description: 'Hours the link works (default ONBOARDING_INVITE_TTL_HOURS, 72); it works once.' }) expiresInHours?: number | null;
}

@ObjectType({ description: 'An onboarding invite: a link that starts one onboarding run without an API key.' })
export class OnboardingInvite {
  @Field(() => ID, { description: 'The invite id.' }) id!: string;
  @Field(() => String, { nullable: true, description: 'The token, only in createOnboardingInvite\'s answer: the page is /onboard/<token>. It is the link\'s only credential.' }) token!: string | null;
  @Field(() => String, { nullable: true, description: 'The business name pre-filled.' }) businessName!: string | null;
  @Field(() => ID, { nullable: true, description: 'The configuration template chosen.' }) ruleTemplateId!: string | null;
  @Field(() => Date, { description: 'When the link stops working.' }) expiresAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When it was used (it starts one run).' }) usedAt!: Date | null;
  @Field(() => ID, { nullable: true, description: 'The run it started.' }) runId!: string | null;
  @Field(() => String, { nullable: true, description: "Meta app id, for the page's Connect WhatsApp button (FB.login)." }) appId!: string | null;
  @Field(() => String, { nullable: true, description: "Embedded Signup's configuration id (FB.login config_id); null in development, where the simulator's popup is used." }) configId!: string | null;
  @Field(() => String, { nullable: true, description: "The simulator's Embedded Signup page in development (null in production)." }) simulatorSignupUrl!: string | null;

  static from(row: OnboardingInviteRow, extra: { token?: string | null; appId: string | null; configId: string | null; simulatorSignupUrl: string | null }): OnboardingInvite {
    return Object.assign(new OnboardingInvite(), {
      id: row.id, token: extra.token ?? null, businessName: row.businessName, ruleTemplateId: row.ruleTemplateId, expiresAt: row.expiresAt, usedAt: row.usedAt,
      runId: row.runId, appId: extra.appId, configId: extra.configId, simulatorSignupUrl: extra.simulatorSignupUrl,
    });
  }
}
