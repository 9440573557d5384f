import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { DomainError } from '../../lib/errors.js';
import { interactiveContent, listContent, mediaContent, templateContent, textContent, type BuiltContent } from '../outbound/outbound.content.js';
import { messageTemplates, type MessageTemplateRow } from '../message-templates/message-templates.table.js';
import type { PlannedAction } from './automation.engine.js';
import type { ReplyAction, RuleAction } from './rules.schema.js';
import { isReplyAction } from './rules.schema.js';

// A planned reply (the engine's, with its texts rendered) as the message it sends: the same
// builders, and so the same limits, as a send through the API. The worker and the dry run share it.

/** The approved-or-not Meta templates a set of rules names, of one WABA, by "name|language". */
export type TemplatesByRef = Map<string, MessageTemplateRow>;

export const templateRef = (name: string, language: string) => `${name}|${language}`;

export async function templatesFor(db: Pick<Database, 'select'>, tenantId: string, wabaId: string, actions: RuleAction[]): Promise<TemplatesByRef> {
  const names = [...new Set(actions.flatMap((a) => (a.type === 'reply_template' ? [a.template] : [])))];
  if (names.length === 0) return new Map();
  const rows = await db.select().from(messageTemplates)
    .where(and(eq(messageTemplates.tenantId, tenantId), eq(messageTemplates.wabaId, wabaId), inArray(messageTemplates.name, names)));
  return new Map(rows.map((t) => [templateRef(t.name, t.language), t]));
}

/** The message a planned reply sends; a reply Meta would refuse (an unapproved template, say) is an error saying why. */
export function replyContent(planned: PlannedAction & { action: ReplyAction }, templates: TemplatesByRef): BuiltContent {
  const { action, rendered } = planned;
  const text = rendered?.text ?? ('text' in action ? action.text : '');
  switch (action.type) {
    case 'reply_text':
      return textContent(text);
    case 'reply_buttons':
      return interactiveContent({ body: text, buttons: action.buttons });
    case 'reply_list':
      return listContent({ body: text, button: action.button, sections: action.sections });
    case 'reply_media':
      return mediaContent({ mediaType: action.mediaType, link: action.link, caption: rendered?.caption ?? action.caption, filename: action.filename });
    case 'reply_template':
      return templateContent(templates.get(templateRef(action.template, action.language)), { name: action.template, language: action.language }, rendered?.parameters ?? action.parameters, `actions[${planned.index}].template`);
  }
}

/** The reply's content, or why it cannot be sent (for the run log and the dry run). */
export function tryReplyContent(planned: PlannedAction, templates: TemplatesByRef): { content: BuiltContent } | { problem: string } | null {
  if (!isReplyAction(planned.action)) return null;
  try {
    return { content: replyContent(planned as PlannedAction & { action: ReplyAction }, templates) };
  } catch (error) {
    if (error instanceof DomainError) return { problem: error.message };
    throw error;
  }
}

/** A rule waiting on Meta: one of its replies is a template the WABA cannot send yet. */
export interface RuleHold {
  ruleId: string;
  ruleName: string;
  template: string;
  language: string;
  /** The template's status at Meta (APPROVED is never held), or NOT_SUBMITTED. */
  status: string;
  reason: string;
  fix: string;
}

/**
 * The rules that must wait: a rule that sends a Meta template not APPROVED would fail every time
 * it fired, so it does not fire at all until Meta approves (its status webhook), and people see why.
 */
export function ruleHolds(rules: { id: string; name: string; actions: RuleAction[] }[], templates: TemplatesByRef): RuleHold[] {
  const holds: RuleHold[] = [];
  for (const rule of rules) {
    for (const action of rule.actions) {
      if (action.type !== 'reply_template') continue;
      const t = templates.get(templateRef(action.template, action.language));
      if (t?.status === 'APPROVED') continue;
      const name = `"${action.template}" (${action.language})`;
      const [reason, fix] = !t || t.status === 'DELETED'
        ? [`template ${name} is not on the WABA`, 'apply the configuration template again (it submits its templates to Meta), or create the template in WhatsApp Manager and run syncMessageTemplates']
        : t.status === 'PENDING' || t.status === 'IN_APPEAL'
          ? [`waiting for Meta's approval of template ${name}`, 'nothing to do: the rule runs as soon as Meta approves it (usually within minutes, at most 24 hours)']
          : t.status === 'REJECTED'
            ? [`Meta rejected template ${name}${t.rejectedReason ? `: ${t.rejectedReason}` : ''}`, "change the template's text as Meta's reason says (no variables at its start or end, no promotional content in a UTILITY template) and publish a new version of the configuration template"]
            : [`Meta set template ${name} to ${t.status}`, "Meta pauses or disables a template when customers report or block it: improve its content, or send another one, and apply the configuration template again"];
      holds.push({ ruleId: rule.id, ruleName: rule.name, template: action.template, language: action.language, status: t?.status ?? 'NOT_SUBMITTED', reason, fix });
      break;
    }
  }
  return holds;
}
