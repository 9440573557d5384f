import { createLookup } from '../composables/useLookup';
import { gql } from './client';
import { INSTANCE_OPTIONS, PHONE_NUMBER_OPTIONS, TENANT_OPTIONS } from './operations';
import { onSignOut } from './session';
import type { Connection } from './types';

// Shared reference lists: at most 100 each (selects and name lookups; the pages themselves page through everything).

export interface TenantOption { id: string; name: string }
export interface NumberOption { id: string; tenantId: string; phoneNumberId: string; displayPhoneNumber: string; throughputTier: number; instance: { id: string } | null }
export interface InstanceOption { id: string; tenantId: string; name: string; phoneNumber: { id: string; phoneNumberId: string; displayPhoneNumber: string } }

export const tenantOptions = createLookup<TenantOption>(async () =>
  (await gql<{ tenants: Connection<TenantOption> }>(TENANT_OPTIONS)).tenants.edges.map((e) => e.node));

export const numberOptions = createLookup<NumberOption>(async () =>
  (await gql<{ phoneNumbers: Connection<NumberOption> }>(PHONE_NUMBER_OPTIONS)).phoneNumbers.edges.map((e) => e.node));

export const instanceOptions = createLookup<InstanceOption>(async () =>
  (await gql<{ instances: Connection<InstanceOption> }>(INSTANCE_OPTIONS)).instances.edges.map((e) => e.node));

/** A tenant's name for a table cell, or the start of its id until the names have loaded. */
export const tenantName = (id: string): string => tenantOptions.byId.value.get(id)?.name ?? id.slice(0, 8);

onSignOut(() => {
  tenantOptions.reset();
  numberOptions.reset();
  instanceOptions.reset();
});
