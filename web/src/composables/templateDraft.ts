import type { MessageTemplate, RuleTemplateVariable } from '../api/types';
import { optionsOf, payloadValue, toFieldValue, type FieldValue, type VariableType } from './templateVariables';

// The operator's template editor works on a draft of one version: details, typed variables, the
// rules (edited with the automation rule editor), the instance settings, the Meta message
// templates its rules send, and the sample messages its preview plays. Publishing sends the draft
// whole (createRuleTemplate, or publishRuleTemplateVersion for the next version); the API
// validates it and names the first bad path.

let keys = 0;
const nextKey = () => ++keys;

export interface VariableDraft {
  key: number; name: string; type: VariableType; label: string; help: string; required: boolean;
  example: FieldValue; default: FieldValue;
  /** choice: one option a line, "value: label" (or just the value). */
  options: string;
  /** phone: the country of numbers typed without a code. */
  country: string;
}
export interface MetaTemplateDraft {
  key: number; name: string; language: string; category: string;
  /** The BODY text, {{1}} {{2}} for parameters. */
  body: string;
  /** One example per parameter, comma-separated (Meta refuses a template without them). */
  examples: string;
  /** Components other than the body (header, footer, buttons), kept as published. */
  others: unknown[];
}
export interface SampleDraft { key: number; kind: 'text' | 'button' | 'list'; value: string; note: string }
/** A rule of the template, in the rule language (as RuleEditor saves it), with a key for the list. */
export interface TemplateRuleDraft { key: number; name: string; enabled: boolean; stop: boolean; trigger: unknown; conditions: unknown[]; actions: unknown[] }

export interface TemplateDraft {
  name: string; description: string; locale: string;
  variables: VariableDraft[]; rules: TemplateRuleDraft[]; messageTemplates: MetaTemplateDraft[]; samples: SampleDraft[];
  timezone: string;
  /** '' (always open), "{{a_weekly_hours_variable}}", or 'fixed' (the hours published, kept). */
  businessHours: string;
  fixedHours: unknown;
  handoffTimeoutHours: number | '';
  replyLimitPerHour: number | '';
  notes: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const newVariable = (type: VariableType = 'text'): VariableDraft => ({
  key: nextKey(), name: '', type, label: '', help: '', required: true, example: toFieldValue({ type, default: null, example: null }, null), default: toFieldValue({ type, default: null, example: null }, null), options: '', country: '',
});
export const newMetaTemplate = (language = 'pt_BR'): MetaTemplateDraft => ({ key: nextKey(), name: '', language, category: 'UTILITY', body: '', examples: '', others: [] });
export const newSample = (kind: SampleDraft['kind'] = 'text'): SampleDraft => ({ key: nextKey(), kind, value: '', note: '' });
export const newRuleDraft = (rule: Omit<TemplateRuleDraft, 'key'>): TemplateRuleDraft => ({ key: nextKey(), ...rule });

export function emptyDraft(locale = 'pt-BR'): TemplateDraft {
  return {
    name: '', description: '', locale, variables: [], rules: [], messageTemplates: [], samples: [newSample()],
    timezone: locale === 'pt-BR' ? 'America/Sao_Paulo' : '', businessHours: '', fixedHours: null, handoffTimeoutHours: '', replyLimitPerHour: '', notes: '',
  };
}

/** A variable whose type changed: its example and default start again in the new type's shape. */
export function retype(v: VariableDraft, type: VariableType): void {
  v.type = type;
  v.example = toFieldValue({ type, default: null, example: null }, null);
  v.default = toFieldValue({ type, default: null, example: null }, null);
}

/** The latest version of a template as the editor's draft. */
export function draftOfTemplate(t: { name: string; description: string; locale: string; variables: RuleTemplateVariable[]; config: unknown; sampleMessages: unknown }): TemplateDraft {
  const config = obj(t.config);
  const hours = config.businessHours;
  return {
    name: t.name, description: t.description, locale: t.locale, notes: '',
    variables: t.variables.map((v) => ({
      key: nextKey(), name: v.name, type: v.type as VariableType, label: v.label, help: v.help, required: v.required,
      example: toFieldValue(v, v.example), default: toFieldValue(v, v.default),
      options: optionsOf(v).map((o) => (o.label === o.value ? o.value : `${o.value}: ${o.label}`)).join('\n'), country: v.country ?? '',
    })),
    rules: arr(config.rules).map((r) => {
      const rule = obj(r);
      return newRuleDraft({ name: str(rule.name), enabled: rule.enabled !== false, stop: rule.stop !== false, trigger: rule.trigger, conditions: arr(rule.conditions), actions: arr(rule.actions ?? (rule.action ? [rule.action] : [])) });
    }),
    messageTemplates: arr(config.messageTemplates).map((m) => {
      const spec = obj(m);
      const components = arr(spec.components);
      const body = obj(components.find((c) => obj(c).type === 'BODY'));
      return {
        key: nextKey(), name: str(spec.name), language: str(spec.language), category: str(spec.category) || 'UTILITY', body: str(body.text),
        examples: arr(arr(obj(body.example).body_text)[0]).map(String).join(', '), others: components.filter((c) => obj(c).type !== 'BODY'),
      };
    }),
    samples: arr(t.sampleMessages).map((m) => {
      const s = typeof m === 'string' ? { text: m } : obj(m);
      const kind: SampleDraft['kind'] = s.buttonId ? 'button' : s.listRowId ? 'list' : 'text';
      return { key: nextKey(), kind, value: str(kind === 'button' ? s.buttonId : kind === 'list' ? s.listRowId : s.text), note: str(s.note) };
    }),
    timezone: str(config.timezone),
    businessHours: typeof hours === 'string' ? hours : hours == null ? '' : 'fixed',
    fixedHours: typeof hours === 'object' ? hours : null,
    handoffTimeoutHours: typeof config.handoffTimeoutHours === 'number' ? config.handoffTimeoutHours : '',
    replyLimitPerHour: typeof config.replyLimitPerHour === 'number' ? config.replyLimitPerHour : '',
  };
}

/** "pix: Pix\ncard" → [{ value: 'pix', label: 'Pix' }, { value: 'card', label: 'card' }]. */
export function parseOptions(text: string): { value: string; label: string }[] {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf(':');
    if (at < 0) return { value: line, label: line };
    const value = line.slice(0, at).trim();
    return { value, label: line.slice(at + 1).trim() || value };
  });
}

/** How many {{n}} parameters a template body has (the highest n). */
export function parameterCount(body: string): number {
  return Math.max(0, ...[...body.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => Number(m[1])));
}

/** What createRuleTemplate and publishRuleTemplateVersion take: variables, config and samples. */
export function templateInputOf(d: TemplateDraft): { name: string; description: string; variables: unknown[]; config: Json; sampleMessages: unknown[] } {
  const variables = d.variables.map((v) => {
    const out: Json = { name: v.name.trim(), type: v.type, label: v.label.trim() || v.name.trim(), help: v.help.trim(), required: v.required };
    const example = payloadValue(v, v.example);
    if (example !== undefined) out.example = example;
    const fallback = payloadValue(v, v.default);
    if (fallback !== undefined) out.default = fallback;
    if (v.type === 'choice') out.options = parseOptions(v.options);
    if (v.type === 'phone' && v.country.trim()) out.country = v.country.trim().toUpperCase();
    return out;
  });
  const config: Json = {
    rules: d.rules.map((r) => ({ name: r.name, enabled: r.enabled, stop: r.stop, trigger: r.trigger, conditions: r.conditions, actions: r.actions })),
  };
  if (d.timezone.trim()) config.timezone = d.timezone.trim();
  if (d.businessHours === 'fixed') config.businessHours = d.fixedHours;
  else if (d.businessHours) config.businessHours = d.businessHours;
  if (d.handoffTimeoutHours !== '') config.handoffTimeoutHours = d.handoffTimeoutHours;
  if (d.replyLimitPerHour !== '') config.replyLimitPerHour = d.replyLimitPerHour;
  if (d.messageTemplates.length) {
    config.messageTemplates = d.messageTemplates.map((m) => {
      const examples = m.examples.split(',').map((e) => e.trim()).filter(Boolean);
      const body: Json = { type: 'BODY', text: m.body };
      if (examples.length) body.example = { body_text: [examples] };
      return { name: m.name.trim(), language: m.language.trim(), category: m.category, components: [...m.others.filter((c) => obj(c).type === 'HEADER'), body, ...m.others.filter((c) => obj(c).type !== 'HEADER')] };
    });
  }
  const sampleMessages = d.samples.filter((s) => s.value.trim()).map((s) => {
    const out: Json = s.kind === 'button' ? { buttonId: s.value.trim() } : s.kind === 'list' ? { listRowId: s.value.trim() } : { text: s.value.trim() };
    if (s.note.trim()) out.note = s.note.trim();
    return out;
  });
  return { name: d.name.trim(), description: d.description.trim(), variables, config, sampleMessages };
}

/** The draft's Meta templates as the rule editor's template picker lists them. */
export function pickerTemplates(d: TemplateDraft): MessageTemplate[] {
  return d.messageTemplates.filter((m) => m.name.trim()).map((m) => ({
    id: `draft-${m.key}`, name: m.name.trim(), language: m.language.trim(), category: m.category, status: 'APPROVED', body: m.body, variableCount: parameterCount(m.body),
  }));
}
