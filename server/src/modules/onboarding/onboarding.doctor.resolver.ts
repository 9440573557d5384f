import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { AppContext } from '../../graphql/context.js';
import { PhoneNumber } from '../phone-numbers/phone-numbers.types.js';
import type { Diagnosis, DoctorCheck } from './onboarding.doctor.js';

@ObjectType({ description: "One of the doctor's checks." })
export class PhoneNumberCheck {
  @Field(() => String, { description: 'token, app_webhook, waba_subscribed, registered, quality_and_name, messaging_limit, health_status, templates or last_webhook.' }) name!: string;
  @Field(() => String, { description: 'ok, warn or fail.' }) status!: string;
  @Field(() => String, { description: 'What was found, in one sentence.' }) summary!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'What Meta (or Postgres) answered: the evidence.' }) evidence!: unknown;
  @Field(() => String, { nullable: true, description: 'What to do, when not ok.' }) fix!: string | null;
  @Field(() => String, { nullable: true, description: 'A fix wabahub performs itself with fixPhoneNumber: subscribe, register, sync_templates or refresh.' }) fixAction!: string | null;

  static from(c: DoctorCheck): PhoneNumberCheck {
    return Object.assign(new PhoneNumberCheck(), c);
  }
}

@ObjectType({ description: "The doctor's diagnosis of a number: every check, at Meta and in wabahub." })
export class PhoneNumberDiagnosis {
  @Field(() => PhoneNumber, { description: "The number, with Meta's state as just read." }) phoneNumber!: PhoneNumber;
  @Field(() => [PhoneNumberCheck], { description: 'The checks, in order.' }) checks!: PhoneNumberCheck[];
  @Field(() => String, { description: 'The worst status among the checks: ok, warn or fail.' }) status!: string;
  @Field(() => Date, { description: 'When it was diagnosed.' }) checkedAt!: Date;

  static from(d: Diagnosis): PhoneNumberDiagnosis {
    const status = d.checks.some((c) => c.status === 'fail') ? 'fail' : d.checks.some((c) => c.status === 'warn') ? 'warn' : 'ok';
    return Object.assign(new PhoneNumberDiagnosis(), { phoneNumber: PhoneNumber.from(d.phoneNumber), checks: d.checks.map(PhoneNumberCheck.from), status, checkedAt: d.checkedAt });
  }
}

@Resolver()
export class DoctorResolver {
  @Query(() => PhoneNumberDiagnosis, { description: "Run every check of a number (token and scopes, the app webhook, the WABA's subscription, registration, quality and name, limits, Meta's health_status, templates, last webhook). Operator only." })
  async diagnosePhoneNumber(@Arg('id', () => ID, { description: "wabahub's id of the number, or Meta's Phone Number ID." }) id: string, @Ctx() { viewer, services }: AppContext) {
    return PhoneNumberDiagnosis.from(await services.doctor.diagnose(viewer, id));
  }

  @Mutation(() => PhoneNumberDiagnosis, { description: "Perform a check's fixAction (subscribe, register, sync_templates, refresh), then diagnose again. Operator only." })
  async fixPhoneNumber(@Arg('id', () => ID, { description: 'The number.' }) id: string, @Arg('action', () => String, { description: 'subscribe, register, sync_templates or refresh.' }) action: string, @Ctx() { viewer, services }: AppContext) {
    return PhoneNumberDiagnosis.from(await services.doctor.fix(viewer, id, action));
  }
}
