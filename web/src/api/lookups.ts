import { createLookup } from '../composables/useLookup';
import { gql } from './client';
import { InstanceOptionsDocument, PhoneNumberOptionsDocument, TenantOptionsDocument, type InstanceOptionsQuery, type PhoneNumberOptionsQuery, type TenantOptionsQuery } from './generated';
import { onSignOut } from './session';
import type { NodeOf } from './types';

// Shared reference lists: at most 100 each (selects and name lookups; the pages themselves page through everything).

export type TenantOption = NodeOf<TenantOptionsQuery['tenants']>;
export type NumberOption = NodeOf<PhoneNumberOptionsQuery['phoneNumbers']>;
export type InstanceOption = NodeOf<InstanceOptionsQuery['instances']>;

export const tenantOptions = createLookup<TenantOption>(async () =>
  (await gql(TenantOptionsDocument)).tenants.edges.map((e) => e.node));

export const numberOptions = createLookup<NumberOption>(async () =>
  (await gql(PhoneNumberOptionsDocument)).phoneNumbers.edges.map((e) => e.node));

export const instanceOptions = createLookup<InstanceOption>(async () =>
  (await gql(InstanceOptionsDocument)).instances.edges.map((e) => e.node));

/** A tenant's name for a table cell, or the start of its id until the names have loaded. */
export const tenantName = (id: string): string => tenantOptions.byId.value.get(id)?.name ?? id.slice(0, 8);

onSignOut(() => {
  tenantOptions.reset();
  numberOptions.reset();
  instanceOptions.reset();
});
