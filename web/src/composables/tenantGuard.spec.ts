import { describe, expect, it, vi } from 'vitest';
import { checkActivity, useTenantGuard } from './tenantGuard';
import type { Activity } from '../api/types';

const A = 'tenant-a';
const B = 'tenant-b';
const tenantA = { kind: 'tenant' as const, tenant: { id: A, name: 'A' } };
const operator = { kind: 'operator' as const, tenant: null };
const event = (over: Partial<Activity> = {}): Activity => ({
  id: 'x', kind: 'inbound_message', direction: 'in', tenantId: A, instanceId: null, phoneNumberId: '111', wabaId: null, messageId: null,
  wamid: null, contactWaId: null, contactName: null, messageType: 'text', status: null, summary: 'Oi', webhookEventId: null, occurredAt: new Date().toISOString(), ...over,
});

describe('checkActivity', () => {
  it("accepts a tenant's own events", () => {
    expect(checkActivity({ viewer: tenantA }, event())).toBe('accept');
  });

  it("drops another tenant's event on a tenant page, whatever the server sent", () => {
    expect(checkActivity({ viewer: tenantA }, event({ tenantId: B }))).toBe('foreign-tenant');
  });

  it('drops events without a tenant (unrouted) on a tenant page', () => {
    expect(checkActivity({ viewer: tenantA }, event({ tenantId: null, kind: 'unrouted' }))).toBe('foreign-tenant');
  });

  it('drops everything for a tenant viewer whose tenant is unknown', () => {
    expect(checkActivity({ viewer: { kind: 'tenant', tenant: null } }, event())).toBe('foreign-tenant');
  });

  it('lets the operator see every tenant and unrouted events', () => {
    expect(checkActivity({ viewer: operator }, event({ tenantId: B }))).toBe('accept');
    expect(checkActivity({ viewer: operator }, event({ tenantId: null, kind: 'unrouted' }))).toBe('accept');
  });

  it("applies the page's filter by tenant, number and kind", () => {
    expect(checkActivity({ viewer: operator, filter: { tenantId: A } }, event({ tenantId: B }))).toBe('filtered');
    expect(checkActivity({ viewer: operator, filter: { phoneNumberId: '222' } }, event())).toBe('filtered');
    expect(checkActivity({ viewer: operator, filter: { kinds: ['status'] } }, event())).toBe('filtered');
    expect(checkActivity({ viewer: operator, filter: { tenantId: A, phoneNumberId: '111', kinds: ['inbound_message'] } }, event())).toBe('accept');
    expect(checkActivity({ viewer: operator, filter: { kinds: [] } }, event())).toBe('accept');
  });
});

describe('useTenantGuard', () => {
  it('counts and logs foreign events it drops, but not filtered ones', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const guard = useTenantGuard(() => ({ viewer: tenantA, filter: { kinds: ['status'] } }));
    expect(guard.accepts(event({ tenantId: B }))).toBe(false);
    expect(guard.accepts(event())).toBe(false); // filtered by kind
    expect(guard.accepts(event({ kind: 'status' }))).toBe(true);
    expect(guard.droppedForeign).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
