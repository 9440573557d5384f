import type { InboundHook } from '../webhooks/webhooks.hooks.js';
import { applyTemplateStatusUpdate } from './message-templates.service.js';

/** Template status webhooks keep the mirrored Meta templates current (idempotent: it sets the status Meta reported). */
export const templateStatusHook: InboundHook = {
  name: 'message-templates: status',
  afterCommit: async (deps, commit) => {
    for (const t of commit.templateStatuses) {
      await applyTemplateStatusUpdate(deps.db, { wabaId: t.wabaId, name: t.name, language: t.language, event: t.event, reason: t.reason, metaTemplateId: t.metaTemplateId });
    }
  },
};
