import type { MessageTemplateRow } from '../message-templates/message-templates.table.js';
import { countBodyVariables } from '../message-templates/message-templates.service.js';
import { evaluateRules, type EngineContact } from '../automation/automation.engine.js';
import { templateRef, tryReplyContent, type TemplatesByRef } from '../automation/automation.replies.js';
import { isReplyAction, normalizeTag } from '../automation/rules.schema.js';
import { fillConfig, type SampleMessage } from './rule-templates.config.js';
import { parseValue, type VariableValue } from './rule-templates.variables.js';
import type { RuleTemplateRow, RuleTemplateVersionRow } from './rule-templates.table.js';

// The gallery's preview: sample customer messages played through the real engine (the same
// evaluateRules the worker runs), with the template filled with the client's values (its
// examples where none is given yet). Nothing is stored or sent; what it shows is what the engine
// would do, not a hand-written sample.

export interface PreviewTurn {
  from: 'customer' | 'business';
  type: string;
  text: string | null;
  payload?: unknown;
  ruleName?: string;
  note?: string;
}

/** The preview's customer, as the engine sees a first-time customer. */
const CUSTOMER_NAME = { 'pt-BR': 'Ana Souza', en: 'Alex Smith' } as Record<string, string>;

export function previewConversation(template: RuleTemplateRow, version: RuleTemplateVersionRow, given: Record<string, unknown>, messages: SampleMessage[] | null | undefined, at: Date): PreviewTurn[] {
  const values: Record<string, VariableValue> = {};
  for (const variable of version.variables) {
    const raw = given[variable.name];
    if (raw !== undefined && raw !== null && raw !== '') values[variable.name] = parseValue(variable, raw, `variables.${variable.name}`);
    else if (variable.default !== undefined) values[variable.name] = variable.default as VariableValue;
    else if (variable.example !== undefined && variable.example !== null) values[variable.name] = variable.example as VariableValue;
  }
  const filled = fillConfig(version.config, version.variables, values, template.locale, 'config', { lenient: true });
  const rules = filled.rules.map((r, i) => ({ id: `rule-${i}`, name: r.name, enabled: true, trigger: r.trigger, conditions: r.conditions, actions: r.actions, stop: r.stop }));
  // The template's own Meta templates, as if approved: the preview shows what the rules send once they are.
  const templates: TemplatesByRef = new Map(filled.messageTemplates.map((t) => [templateRef(t.name, t.language), {
    id: t.name, tenantId: null, wabaId: '', metaTemplateId: null, name: t.name, language: t.language, category: t.category, status: 'APPROVED',
    variableCount: countBodyVariables(t.components), components: t.components, rejectedReason: null, createdAt: at, updatedAt: at,
  } satisfies MessageTemplateRow]));
  const contact: EngineContact = { name: CUSTOMER_NAME[template.locale] ?? CUSTOMER_NAME.en, tags: [], inHandoff: false, isFirstMessage: true, lastRunAtByRule: {}, automatedRepliesLastHour: 0 };
  const instance = { name: template.name, timezone: filled.timezone ?? (template.locale === 'pt-BR' ? 'America/Sao_Paulo' : 'UTC'), businessHours: filled.businessHours ?? null, locale: template.locale };
  const turns: PreviewTurn[] = [];
  const samples = messages ?? version.sampleMessages;
  for (const [i, sample] of samples.entries()) {
    const message = { type: sample.messageType ?? (sample.buttonId || sample.listRowId ? 'interactive' : 'text'), text: sample.text ?? null, buttonId: sample.buttonId ?? null, listRowId: sample.listRowId ?? null, sentAt: new Date(at.getTime() + i * 60_000) };
    turns.push({ from: 'customer', type: message.type, text: sample.text ?? sample.buttonId ?? sample.listRowId ?? `[${message.type}]`, note: sample.note });
    const evaluation = evaluateRules({ rules, message, contact: { ...contact, isFirstMessage: i === 0 }, instance, now: message.sentAt, windowOpen: true, replyLimitPerHour: filled.replyLimitPerHour ?? 10 });
    for (const fired of evaluation.fired) {
      contact.lastRunAtByRule[fired.rule.id] = message.sentAt;
      for (const planned of fired.actions) {
        const { action } = planned;
        if (isReplyAction(action)) {
          const built = tryReplyContent(planned, templates);
          const content = built && 'content' in built ? built.content : null;
          turns.push({
            from: 'business', type: content?.type ?? action.type, text: content?.text ?? planned.rendered?.text ?? null, payload: content?.payload, ruleName: fired.rule.name,
            note: !planned.run ? planned.skipReason : built && 'problem' in built ? built.problem : undefined,
          });
          if (planned.run) contact.automatedRepliesLastHour++;
        } else if (action.type === 'handoff') {
          contact.inHandoff = true;
          turns.push({ from: 'business', type: 'handoff', text: action.note ?? null, ruleName: fired.rule.name, note: 'handoff' });
        } else if (action.type === 'add_tag') {
          contact.tags = [...new Set([...contact.tags, normalizeTag(action.tag)])];
        } else if (action.type === 'remove_tag') {
          const tag = normalizeTag(action.tag);
          contact.tags = contact.tags.filter((t) => t !== tag);
        }
      }
    }
  }
  return turns;
}
