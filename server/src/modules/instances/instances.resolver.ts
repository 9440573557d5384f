import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { PhoneNumber } from '../phone-numbers/phone-numbers.types.js';
import { AutomationRule } from '../automation/automation.types.js';
import { CreateInstanceInput, InstanceFilter, UpdateInstanceInput } from './instances.inputs.js';
import { Instance, InstanceConnection } from './instances.types.js';

@Resolver(() => Instance)
export class InstanceResolver {
  @Query(() => InstanceConnection, { description: 'Instances, newest first.' })
  async instances(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => InstanceFilter, { nullable: true, description: 'Narrows the list; all instances the caller may see when absent.' }) filter: InstanceFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.instances.list(viewer, filter ?? {}, page), Instance.from);
  }

  @Query(() => Instance, { description: 'One instance by id.' })
  async instance(@Arg('id', () => ID, { description: 'The instance id.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return Instance.from(await services.instances.findOrFail(viewer, id));
  }

  @Mutation(() => Instance, { description: 'Create the instance of a phone number (one per number).' })
  async createInstance(@Arg('input', () => CreateInstanceInput, { description: 'The phone number and the instance settings.' }) input: CreateInstanceInput, @Ctx() { viewer, services }: AppContext) {
    return Instance.from(await services.instances.create(viewer, input));
  }

  @Mutation(() => Instance, { description: "Change an instance's name, timezone, status or business hours." })
  async updateInstance(@Arg('input', () => UpdateInstanceInput, { description: 'The instance and the settings to change.' }) input: UpdateInstanceInput, @Ctx() { viewer, services }: AppContext) {
    return Instance.from(await services.instances.update(viewer, input));
  }

  @FieldResolver(() => PhoneNumber, { description: 'The phone number the instance runs on.' })
  async phoneNumber(@Root() instance: Instance, @Ctx() { viewer, services }: AppContext) {
    return PhoneNumber.from(await services.phoneNumbers.findOrFail(viewer, instance.phoneNumberId));
  }

  @Mutation(() => ID, { description: 'Delete an instance: its rules and their runs go; its number, contacts and messages stay. Returns its id.' })
  async deleteInstance(@Arg('id', () => ID, { description: 'The instance.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return (await services.instances.delete(viewer, id)).id;
  }

  @FieldResolver(() => [AutomationRule], { description: 'The automation rules, in evaluation order.' })
  async automationRules(@Root() instance: Instance, @Ctx() { viewer, services }: AppContext) {
    return (await services.automation.listForInstance(viewer, instance.id)).map(AutomationRule.from);
  }
}
