import { ForbiddenError } from '../../lib/errors.js';

// Who is calling: the operator (sees and manages everything) or one tenant's API key.
export type Viewer =
  | { kind: 'operator' }
  /** `scope` read: queries and subscriptions only. `rateLimitPerMinute`: the key's budget (null: the default). */
  | { kind: 'tenant'; tenantId: string; apiKeyId: string; scope?: 'read' | 'full'; rateLimitPerMinute?: number | null };

export const OPERATOR: Viewer = { kind: 'operator' };

/** The tenant a viewer is confined to, or null for the operator. Every tenant-owned query uses it. */
export function tenantScope(viewer: Viewer): string | null {
  return viewer.kind === 'tenant' ? viewer.tenantId : null;
}

/** A name for everything this viewer may see: viewers of one scope see the same (the operator, or one tenant's keys). */
export function viewerScope(viewer: Viewer): string {
  return viewer.kind === 'operator' ? 'operator' : `tenant:${viewer.tenantId}`;
}

/** Whether the viewer may see objects of this tenant. Others' objects behave as if absent. */
export function canSee(viewer: Viewer, tenantId: string): boolean {
  return viewer.kind === 'operator' || viewer.tenantId === tenantId;
}

export function assertOperator(viewer: Viewer): void {
  if (viewer.kind !== 'operator') throw new ForbiddenError();
}
