import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { Instance } from '../instances/instances.types.js';
import { AddPhoneNumberInput, PhoneNumberFilter } from './phone-numbers.inputs.js';
import { PhoneNumber, PhoneNumberConnection } from './phone-numbers.types.js';

@Resolver(() => PhoneNumber)
export class PhoneNumberResolver {
  @Query(() => PhoneNumberConnection, { description: 'Phone numbers, newest first.' })
  async phoneNumbers(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => PhoneNumberFilter, { nullable: true, description: 'Narrows the list; all numbers the caller may see when absent.' }) filter: PhoneNumberFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.phoneNumbers.list(viewer, filter ?? {}, page), PhoneNumber.from);
  }

  @Mutation(() => PhoneNumber, { description: 'Add a phone number to a tenant. A tenant key proves the number is its own with its business token (accessToken); the operator may add numbers shared with the app without one.' })
  async addPhoneNumber(@Arg('input', () => AddPhoneNumberInput, { description: 'The number as Meta knows it, and its tenant.' }) input: AddPhoneNumberInput, @Ctx() { viewer, services }: AppContext) {
    return PhoneNumber.from(await services.phoneNumbers.add(viewer, input));
  }

  @Mutation(() => PhoneNumber, { description: 'Restart the sends of a number paused after Meta refused its access token (fix the token first). Queued messages go out again.' })
  async resumePhoneNumber(@Arg('id', () => ID, { description: "wabahub's PhoneNumber id or Meta's Phone Number ID." }) id: string, @Ctx() { viewer, services }: AppContext) {
    return PhoneNumber.from(await services.phoneNumbers.resume(viewer, id));
  }

  @Mutation(() => ID, { description: 'Remove a number from wabahub: its instance, contacts and messages go with it, and its Phone Number ID may be registered again. Meta keeps the number. Returns its id.' })
  async removePhoneNumber(@Arg('id', () => ID, { description: "wabahub's PhoneNumber id or Meta's Phone Number ID." }) id: string, @Ctx() { viewer, services }: AppContext) {
    return (await services.phoneNumbers.remove(viewer, id)).id;
  }

  @FieldResolver(() => Instance, { nullable: true, description: 'The instance running on this number, if any.' })
  async instance(@Root() number: PhoneNumber, @Ctx() { services }: AppContext) {
    const row = await services.instances.findByPhoneNumber(number.id);
    return row ? Instance.from(row) : null;
  }
}
