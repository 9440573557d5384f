import { describe, expect, it } from 'vitest';
import type { MetaMessage } from '../../meta/webhook-payload.js';
import type { BusinessHours } from '../instances/instances.business-hours.js';
import {
  engineMessageOf, evaluateRules, messageKindOf, type EngineContact, type EngineInput, type EngineInstance, type EngineMessage, type EngineRule, type Evaluation,
} from './automation.engine.js';
import type { RuleAction, RuleCondition, RuleTrigger } from './rules.schema.js';

// The engine as the worker and the dry run use it: rules in, decisions and reasons out. Every input
// is built here; nothing is stored or sent. The clock: Friday 2026-12-04, 15:00 in São Paulo.

const NOW = new Date('2026-12-04T15:00:00-03:00');
const HOUR = 3_600_000;
const WEEKDAYS_9_TO_18: BusinessHours = { days: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '18:00' })) };

function setup() {
  let next = 0;
  const rule = (fields: { trigger?: RuleTrigger; conditions?: RuleCondition[]; actions?: RuleAction[]; stop?: boolean; enabled?: boolean; name?: string } = {}): EngineRule => {
    next += 1;
    return {
      id: `rule-${next}`, name: fields.name ?? `Rule ${next}`, enabled: fields.enabled ?? true, trigger: fields.trigger ?? { type: 'any_message' },
      conditions: fields.conditions ?? [], actions: fields.actions ?? [{ type: 'reply_text', text: `reply ${next}` }], stop: fields.stop ?? true,
    };
  };
  const keyword = (keywords: string[], match: 'exact' | 'contains' | 'starts_with' | 'regex' = 'contains', more: Parameters<typeof rule>[0] = {}) =>
    rule({ trigger: { type: 'keyword', keywords, match }, ...more });
  const message = (fields: Partial<EngineMessage> = {}): EngineMessage => ({ type: 'text', text: null, buttonId: null, listRowId: null, sentAt: NOW, ...fields });
  const text = (body: string, sentAt = NOW) => message({ text: body, sentAt });
  const contact = (fields: Partial<EngineContact> = {}): EngineContact => ({
    name: 'Maria Souza', tags: [], inHandoff: false, isFirstMessage: false, lastRunAtByRule: {}, automatedRepliesLastHour: 0, ...fields,
  });
  const instance = (fields: Partial<EngineInstance> = {}): EngineInstance => ({ name: 'Padaria Real', timezone: 'America/Sao_Paulo', businessHours: WEEKDAYS_9_TO_18, ...fields });
  const input = (rules: EngineRule[], fields: Partial<EngineInput> = {}): EngineInput => ({
    rules, message: text('oi'), contact: contact(), instance: instance(), now: NOW, windowOpen: true, replyLimitPerHour: 10, ...fields,
  });
  const run = (rules: EngineRule[], fields: Partial<EngineInput> = {}): Evaluation => evaluateRules(input(rules, fields));
  /** The one verdict of a single-rule evaluation. */
  const verdictOf = (r: EngineRule, fields: Partial<EngineInput> = {}) => run([r], fields).verdicts[0];
  return { rule, keyword, message, text, contact, instance, input, run, verdictOf };
}

const outcomes = (e: Evaluation) => e.verdicts.map((v) => v.outcome);

describe('evaluateRules', () => {
  describe('keyword trigger', () => {
    const { keyword, text, verdictOf, run } = setup();

    it('matches accent- and case-insensitively, and says what matched what', () => {
      const menu = keyword(['cardápio']);
      for (const body of ['cardapio', 'Cardápio', 'CARDÁPIO!', 'Cardapio, por favor']) {
        expect(verdictOf(menu, { message: text(body) })).toMatchObject({ outcome: 'fired', reason: `keyword "cardápio" matched "${body}"` });
      }
    });

    it('a keyword written without accents meets a message with them', () => {
      expect(verdictOf(keyword(['cardapio']), { message: text('Cardápio') }).outcome).toBe('fired');
    });

    it('exact compares the whole message, trailing punctuation aside', () => {
      const menu = keyword(['cardapio'], 'exact');
      expect(verdictOf(menu, { message: text('  Cardápio?! ') }).outcome).toBe('fired');
      expect(verdictOf(menu, { message: text('o cardápio') }).outcome).toBe('no_match');
    });

    it('contains finds whole words, not parts of words', () => {
      const hi = keyword(['oi']);
      expect(verdictOf(hi, { message: text('Oi, tudo bem?') }).outcome).toBe('fired');
      expect(verdictOf(hi, { message: text('depois eu vejo') }).outcome).toBe('no_match');
    });

    it('starts_with needs the keyword first', () => {
      const hi = keyword(['oi'], 'starts_with');
      expect(verdictOf(hi, { message: text('OI! quero pedir') }).outcome).toBe('fired');
      expect(verdictOf(hi, { message: text('quero pedir, oi') }).outcome).toBe('no_match');
    });

    it('regex runs on the normalised text and says "pattern"', () => {
      expect(verdictOf(keyword(['^pedido #?\\d{3,}$'], 'regex'), { message: text('Pedido #4521') })).toMatchObject({ outcome: 'fired', reason: 'pattern "^pedido #?\\d{3,}$" matched "Pedido #4521"' });
    });

    it('says which keywords did not match, and how it compared', () => {
      expect(verdictOf(keyword(['cardápio', 'menu']), { message: text('quero uma pizza') }))
        .toMatchObject({ outcome: 'no_match', reason: 'no keyword matched "quero uma pizza" (contains: "cardápio", "menu")' });
    });

    it('does not match a message without text', () => {
      const { message } = setup();
      expect(verdictOf(keyword(['menu']), { message: message({ type: 'image' }) })).toMatchObject({ outcome: 'no_match', reason: 'the message (image) has no text' });
    });

    it('reads an image caption and a tapped button\'s title as the customer\'s words', () => {
      const { message } = setup();
      expect(verdictOf(keyword(['cardapio']), { message: message({ type: 'image', text: 'o cardápio de hoje?' }) }).outcome).toBe('fired');
      expect(verdictOf(keyword(['cardapio']), { message: message({ type: 'interactive', text: 'Cardápio', buttonId: 'menu' }) }).outcome).toBe('fired');
    });

    it('finishes a pathological pattern on a 4,096-character message in under 10 ms', () => {
      // A backtracking engine takes exponential time on these when the text almost matches; RE2
      // takes one pass. The first run of a pattern compiles it and builds RE2's DFA states (once per
      // pattern per process: compiled patterns are cached), so the figure asserted is the best of
      // five runs after it; a shared, loaded 2-core machine can stall any single run.
      // Ends in a character no pattern accepts (and that normalisation keeps: © is a symbol, not
      // punctuation), so each must fail to match: the case that backtracks.
      const body = `${'a'.repeat(4_095)}©`;
      const lines: string[] = [];
      // A process's first regex runs also compile re2js's own code (JIT): done once, aside, with
      // patterns that take the same paths through RE2 (DFA, and NFA when anchored).
      for (const warm of ['(b+)+$', '^(b|b)*$']) run([keyword([warm], 'regex')], { message: text(body) });
      for (const pattern of ['(a+)+$', '(a|aa)*b', '^(a|a)*$', '^(\\w+\\s?)*$']) {
        const rules = [keyword([pattern], 'regex')];
        const timed = () => {
          const started = performance.now();
          const evaluation = run(rules, { message: text(body) });
          const ms = performance.now() - started;
          expect(outcomes(evaluation)).toEqual(['no_match']);
          return ms;
        };
        const first = timed();
        const best = Math.min(...Array.from({ length: 5 }, timed));
        lines.push(`  ${pattern.padEnd(12)} first run ${first.toFixed(2)} ms, best of the next 5 ${best.toFixed(2)} ms`);
        expect(best).toBeLessThan(10);
      }
      process.stdout.write(`regex keyword on a 4,096-character message (evaluateRules, normalisation included):\n${lines.join('\n')}\n`);
    });
  });

  describe('first_message trigger', () => {
    const { rule, contact, verdictOf } = setup();
    const welcome = rule({ trigger: { type: 'first_message' } });

    it('fires on the contact\'s first message only', () => {
      expect(verdictOf(welcome, { contact: contact({ isFirstMessage: true }) })).toMatchObject({ outcome: 'fired', reason: "the contact's first message" });
      expect(verdictOf(welcome, { contact: contact({ isFirstMessage: false }) })).toMatchObject({ outcome: 'no_match', reason: "not the contact's first message" });
    });
  });

  describe('business hours triggers', () => {
    const { rule, text, instance, verdictOf } = setup();
    const closed = rule({ trigger: { type: 'outside_business_hours' } });
    const open = rule({ trigger: { type: 'inside_business_hours' } });
    const fridayNight = text('oi', new Date('2026-12-04T20:30:00-03:00'));
    const fridayAfternoon = text('oi', new Date('2026-12-04T15:00:00-03:00'));

    it('outside fires when the instance is closed when the customer wrote, and says when that was', () => {
      expect(verdictOf(closed, { message: fridayNight })).toMatchObject({ outcome: 'fired', reason: 'outside business hours (Fri 20:30, America/Sao_Paulo)' });
      expect(verdictOf(closed, { message: fridayAfternoon })).toMatchObject({ outcome: 'no_match', reason: 'inside business hours (Fri 15:00, America/Sao_Paulo)' });
    });

    it('inside is the opposite', () => {
      expect(verdictOf(open, { message: fridayAfternoon }).outcome).toBe('fired');
      expect(verdictOf(open, { message: fridayNight }).outcome).toBe('no_match');
    });

    it('reads the time the customer sent the message, not when the worker got to it', () => {
      expect(verdictOf(closed, { message: fridayNight, now: new Date('2026-12-07T10:00:00-03:00') }).outcome).toBe('fired');
    });

    it('an instance without hours is always open', () => {
      const always = instance({ businessHours: null });
      expect(verdictOf(closed, { message: fridayNight, instance: always })).toMatchObject({ outcome: 'no_match', reason: 'the instance has no business hours, so it is always open' });
      expect(verdictOf(open, { message: fridayNight, instance: always }).outcome).toBe('fired');
    });

    it('uses the instance\'s timezone', () => {
      expect(verdictOf(open, { message: fridayNight, instance: instance({ timezone: 'Asia/Tokyo' }) }).outcome).toBe('no_match'); // Sat 08:30 in Tokyo
      expect(verdictOf(open, { message: fridayNight, instance: instance({ timezone: 'America/Los_Angeles' }) }).outcome).toBe('fired'); // Fri 15:30
    });
  });

  describe('button_reply and list_reply triggers', () => {
    const { rule, message, verdictOf } = setup();
    const yes = rule({ trigger: { type: 'button_reply', buttonId: 'confirm_yes' } });
    const pizza = rule({ trigger: { type: 'list_reply', rowId: 'pizza' } });

    it('button_reply fires on its button id only', () => {
      expect(verdictOf(yes, { message: message({ type: 'interactive', buttonId: 'confirm_yes', text: 'Sim' }) })).toMatchObject({ outcome: 'fired', reason: 'button "confirm_yes" pressed' });
      expect(verdictOf(yes, { message: message({ type: 'interactive', buttonId: 'confirm_no', text: 'Não' }) })).toMatchObject({ outcome: 'no_match', reason: 'button "confirm_no" pressed, not "confirm_yes"' });
      expect(verdictOf(yes, { message: message({ text: 'confirm_yes' }) })).toMatchObject({ outcome: 'no_match', reason: 'no button was pressed' });
    });

    it('button_reply also answers a template\'s quick-reply button (its payload)', () => {
      const tapped = engineMessageOf({ id: 'wamid.1', from: '5511', type: 'button', button: { text: 'Sim', payload: 'confirm_yes' } }, NOW);
      expect(verdictOf(yes, { message: tapped }).outcome).toBe('fired');
    });

    it('list_reply fires on its row id only', () => {
      expect(verdictOf(pizza, { message: message({ type: 'interactive', listRowId: 'pizza', text: 'Pizza' }) })).toMatchObject({ outcome: 'fired', reason: 'list row "pizza" chosen' });
      expect(verdictOf(pizza, { message: message({ type: 'interactive', listRowId: 'salad', text: 'Salada' }) }).outcome).toBe('no_match');
      expect(verdictOf(pizza, { message: message({ type: 'interactive', buttonId: 'pizza' }) })).toMatchObject({ outcome: 'no_match', reason: 'no list row was chosen' });
    });
  });

  describe('message_type trigger', () => {
    const { rule, message, text, verdictOf } = setup();
    const media = rule({ trigger: { type: 'message_type', messageTypes: ['image', 'document'] } });

    it('fires on the listed types only', () => {
      expect(verdictOf(media, { message: message({ type: 'image' }) })).toMatchObject({ outcome: 'fired', reason: 'the message is of type image' });
      expect(verdictOf(media, { message: message({ type: 'document' }) }).outcome).toBe('fired');
      expect(verdictOf(media, { message: message({ type: 'audio' }) })).toMatchObject({ outcome: 'no_match', reason: 'the message is of type audio, not image or document' });
      expect(verdictOf(media, { message: text('foto') }).outcome).toBe('no_match');
    });
  });

  describe('any_message trigger', () => {
    const { rule, message, verdictOf } = setup();

    it('fires on anything the customer wrote', () => {
      for (const type of ['text', 'image', 'location', 'sticker', 'interactive']) {
        expect(verdictOf(rule(), { message: message({ type, text: type === 'text' ? 'x' : null }) })).toMatchObject({ outcome: 'fired', reason: 'any message' });
      }
    });
  });

  describe('messages the engine cannot read', () => {
    const { rule, keyword, message, contact, verdictOf } = setup();

    it('a reaction or a system notice triggers nothing, not even any_message', () => {
      for (const type of ['reaction', 'system']) {
        expect(verdictOf(rule(), { message: message({ type }) })).toMatchObject({ outcome: 'no_match', reason: `a ${type} message never triggers rules: the customer did not write anything` });
        expect(verdictOf(rule({ trigger: { type: 'first_message' } }), { message: message({ type }), contact: contact({ isFirstMessage: true }) }).outcome).toBe('no_match');
      }
    });

    it('an unsupported message meets conversation triggers but not content triggers', () => {
      const unsupported = message({ type: 'unsupported' });
      expect(verdictOf(rule(), { message: unsupported }).outcome).toBe('fired');
      expect(verdictOf(rule({ trigger: { type: 'first_message' } }), { message: unsupported, contact: contact({ isFirstMessage: true }) }).outcome).toBe('fired');
      expect(verdictOf(rule({ trigger: { type: 'outside_business_hours' } }), { message: message({ type: 'unsupported', sentAt: new Date('2026-12-05T23:00:00-03:00') }) }).outcome).toBe('fired');
      expect(verdictOf(keyword(['menu']), { message: message({ type: 'unsupported', text: 'menu' }) }))
        .toMatchObject({ outcome: 'no_match', reason: 'the message is of type unsupported, whose content the engine cannot read' });
    });
  });

  describe('conditions', () => {
    const { rule, contact, verdictOf } = setup();

    it('contact_has_tag holds when the contact has the tag, whatever its case', () => {
      const vip = rule({ conditions: [{ type: 'contact_has_tag', tag: 'vip' }] });
      expect(verdictOf(vip, { contact: contact({ tags: ['VIP'] }) })).toMatchObject({ outcome: 'fired', reason: 'any message; contact has tag "vip"' });
      expect(verdictOf(vip, { contact: contact({ tags: ['novo'] }) })).toMatchObject({ outcome: 'condition_failed', reason: 'contact lacks tag "vip"' });
    });

    it('contact_lacks_tag holds when the contact does not have the tag', () => {
      const newcomer = rule({ conditions: [{ type: 'contact_lacks_tag', tag: 'cliente' }] });
      expect(verdictOf(newcomer, { contact: contact({ tags: [] }) }).outcome).toBe('fired');
      expect(verdictOf(newcomer, { contact: contact({ tags: ['Cliente'] }) })).toMatchObject({ outcome: 'condition_failed', reason: 'contact has tag "cliente"' });
    });

    it('cooldown: at most once per contact per rule every N hours', () => {
      const daily = rule({ conditions: [{ type: 'cooldown', hours: 24 }] });
      const ranAt = (msAgo: number) => contact({ lastRunAtByRule: { [daily.id]: new Date(NOW.getTime() - msAgo) } });
      expect(verdictOf(daily, { contact: ranAt(2 * HOUR) })).toMatchObject({ outcome: 'condition_failed', reason: 'cooldown: last ran 2 h ago, at most once every 24 h' });
      expect(verdictOf(daily, { contact: ranAt(24 * HOUR - 60_000) }).outcome).toBe('condition_failed');
      expect(verdictOf(daily, { contact: ranAt(24 * HOUR) })).toMatchObject({ outcome: 'fired', reason: 'any message; cooldown: last ran 24 h ago' });
      expect(verdictOf(daily, { contact: ranAt(35 * 60_000) }).reason).toBe('cooldown: last ran 35 min ago, at most once every 24 h');
      expect(verdictOf(daily, { contact: contact() })).toMatchObject({ outcome: 'fired', reason: 'any message; cooldown: never ran for this contact' });
    });

    it('cooldown counts only this rule\'s last run', () => {
      const daily = rule({ conditions: [{ type: 'cooldown', hours: 24 }] });
      expect(verdictOf(daily, { contact: contact({ lastRunAtByRule: { 'another-rule': NOW } }) }).outcome).toBe('fired');
    });

    it('not_in_handoff holds for a contact a person is not handling', () => {
      expect(verdictOf(rule({ conditions: [{ type: 'not_in_handoff' }] })).outcome).toBe('fired');
    });

    it('all conditions must hold; the reason names the first that does not', () => {
      const both = rule({ conditions: [{ type: 'contact_has_tag', tag: 'vip' }, { type: 'contact_lacks_tag', tag: 'bloqueado' }] });
      expect(verdictOf(both, { contact: contact({ tags: ['vip'] }) }).outcome).toBe('fired');
      expect(verdictOf(both, { contact: contact({ tags: ['vip', 'bloqueado'] }) })).toMatchObject({ outcome: 'condition_failed', reason: 'contact has tag "bloqueado"' });
      expect(verdictOf(both, { contact: contact({ tags: ['bloqueado'] }) }).reason).toBe('contact lacks tag "vip"');
    });
  });

  describe('order and stop', () => {
    const { rule, keyword, text, run } = setup();

    it('the first matching rule with stop ends evaluation; later rules are not reached', () => {
      const welcome = rule({ name: 'Boas-vindas' });
      const menu = keyword(['cardapio'], 'contains', { name: 'Cardápio' });
      const evaluation = run([welcome, menu], { message: text('cardápio') });
      expect(evaluation.fired.map((f) => f.rule.name)).toEqual(['Boas-vindas']);
      expect(evaluation.verdicts[1]).toEqual({ ruleId: menu.id, name: 'Cardápio', outcome: 'not_reached', reason: 'not reached: rule «Boas-vindas» above stopped evaluation' });
    });

    it('stop: false lets later rules run too, in order', () => {
      const tagger = rule({ name: 'Tag', stop: false, actions: [{ type: 'add_tag', tag: 'lead' }] });
      const greet = rule({ name: 'Greet' });
      const after = rule({ name: 'After' });
      const evaluation = run([tagger, greet, after]);
      expect(evaluation.fired.map((f) => f.rule.name)).toEqual(['Tag', 'Greet']);
      expect(outcomes(evaluation)).toEqual(['fired', 'fired', 'not_reached']);
    });

    it('a rule that matched but whose conditions failed does not stop evaluation', () => {
      const vipOnly = rule({ conditions: [{ type: 'contact_has_tag', tag: 'vip' }] });
      const everyone = rule();
      expect(outcomes(run([vipOnly, everyone]))).toEqual(['condition_failed', 'fired']);
    });

    it('a disabled rule never fires and does not stop evaluation', () => {
      const off = rule({ enabled: false });
      const on = rule();
      const evaluation = run([off, on]);
      expect(evaluation.verdicts[0]).toMatchObject({ outcome: 'disabled', reason: 'disabled' });
      expect(evaluation.fired.map((f) => f.rule.id)).toEqual([on.id]);
    });

    it('gives every rule a verdict, in the rules\' order', () => {
      const rules = [keyword(['pizza']), rule({ enabled: false }), keyword(['oi']), rule(), rule()];
      const evaluation = run(rules, { message: text('oi') });
      expect(evaluation.verdicts.map((v) => v.ruleId)).toEqual(rules.map((r) => r.id));
      expect(outcomes(evaluation)).toEqual(['no_match', 'disabled', 'fired', 'not_reached', 'not_reached']);
    });

    it('with no rules, nothing fires', () => {
      expect(run([])).toEqual({ fired: [], verdicts: [] });
    });
  });

  describe('handoff', () => {
    const { rule, keyword, text, contact, run } = setup();

    it('no rule fires for a contact in handoff; each says so, and whether its trigger matched', () => {
      const menu = keyword(['cardapio']);
      const pizza = keyword(['pizza']);
      const off = rule({ enabled: false });
      const evaluation = run([menu, pizza, off], { message: text('cardápio'), contact: contact({ inHandoff: true }) });
      expect(evaluation.fired).toEqual([]);
      expect(evaluation.verdicts.map(({ outcome, reason }) => ({ outcome, reason }))).toEqual([
        { outcome: 'paused_for_handoff', reason: 'paused: the contact is in handoff with a person (its trigger matches: keyword "cardapio" matched "cardápio")' },
        { outcome: 'paused_for_handoff', reason: 'paused: the contact is in handoff with a person' },
        { outcome: 'disabled', reason: 'disabled' },
      ]);
    });

    it('a handoff action pauses the rules below it, even after stop: false', () => {
      const human = keyword(['atendente'], 'contains', { name: 'Atendente', stop: false, actions: [{ type: 'handoff', note: 'pediu atendente' }, { type: 'reply_text', text: 'Já chamo alguém!' }] });
      const fallback = rule({ name: 'Fallback' });
      const evaluation = run([human, fallback], { message: text('quero um atendente') });
      expect(evaluation.fired.map((f) => f.rule.name)).toEqual(['Atendente']);
      expect(evaluation.verdicts[1]).toMatchObject({ outcome: 'paused_for_handoff', reason: 'paused: rule «Atendente» above hands the contact to a person (its trigger matches: any message)' });
    });

    it('the rule that hands off still runs its actions after the handoff, in order', () => {
      const human = rule({ actions: [{ type: 'handoff' }, { type: 'reply_text', text: 'Já chamo alguém!' }] });
      expect(run([human]).fired[0].actions.map((a) => [a.action.type, a.run])).toEqual([['handoff', true], ['reply_text', true]]);
    });
  });

  describe('actions', () => {
    const { rule, contact, instance, run, text } = setup();
    const only = (actions: RuleAction[], fields: Partial<EngineInput> = {}) => run([rule({ actions })], fields).fired[0].actions;

    it('plans every action in order with its index, replies rendered', () => {
      const planned = only([
        { type: 'mark_read' },
        { type: 'reply_text', text: 'Olá {{contact.first_name}}, aqui é {{instance.name}}. Hoje: {{business.hours_today}}.' },
        { type: 'add_tag', tag: 'lead' },
        { type: 'reply_buttons', text: 'Quer ver o cardápio, {{contact.first_name}}?', buttons: [{ id: 'yes', title: 'Sim' }] },
        { type: 'reply_list', text: 'Escolha, {{contact.name}}', button: 'Ver', sections: [{ rows: [{ id: 'p', title: 'Pizza' }] }] },
        { type: 'reply_media', mediaType: 'image', link: 'https://cdn.example.com/menu.png', caption: 'Cardápio de {{instance.name}}' },
        { type: 'reply_media', mediaType: 'document', link: 'https://cdn.example.com/menu.pdf', filename: 'menu.pdf' },
        { type: 'reply_template', template: 'boas_vindas', language: 'pt_BR', parameters: ['{{contact.first_name}}', 'fixo'] },
        { type: 'remove_tag', tag: 'novo' },
        { type: 'handoff', note: 'quer falar' },
      ]);
      expect(planned.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(planned.every((p) => p.run)).toBe(true);
      expect(planned.map((p) => p.rendered)).toEqual([
        undefined,
        { text: 'Olá Maria, aqui é Padaria Real. Hoje: 09:00–18:00.' },
        undefined,
        { text: 'Quer ver o cardápio, Maria?' },
        { text: 'Escolha, Maria Souza' },
        { caption: 'Cardápio de Padaria Real' },
        {},
        { parameters: ['Maria', 'fixo'] },
        undefined,
        undefined,
      ]);
    });

    it('renders {{business.hours_today}} for the day the customer wrote, in the instance\'s locale', () => {
      const saturday = text('oi', new Date('2026-12-05T10:00:00-03:00'));
      expect(only([{ type: 'reply_text', text: 'Hoje: {{business.hours_today}}' }], { message: saturday, instance: instance({ locale: 'pt-BR' }) })[0].rendered)
        .toEqual({ text: 'Hoje: fechado hoje' });
    });

    it('renders a contact without a name with the fallback word', () => {
      expect(only([{ type: 'reply_text', text: 'Olá, {{contact.first_name}}!' }], { contact: contact({ name: null }) })[0].rendered).toEqual({ text: 'Olá, cliente!' });
    });

    it('cuts a rendered text to Meta\'s limit rather than lose the reply', () => {
      const long = `${'x'.repeat(1_000)} {{contact.name}}`;
      const [planned] = only([{ type: 'reply_buttons', text: long, buttons: [{ id: 'a', title: 'A' }] }], { contact: contact({ name: 'Maria '.repeat(20) }) });
      expect(planned.rendered?.text).toHaveLength(1_024);
      expect(planned.rendered?.text?.endsWith('…')).toBe(true);
    });

    it('tags added or removed by a rule are seen by the rules below it', () => {
      const tagger = rule({ stop: false, actions: [{ type: 'add_tag', tag: 'Lead' }, { type: 'remove_tag', tag: 'novo' }] });
      const leads = rule({ stop: false, conditions: [{ type: 'contact_has_tag', tag: 'lead' }] });
      const newcomers = rule({ conditions: [{ type: 'contact_has_tag', tag: 'novo' }] });
      expect(outcomes(run([tagger, leads, newcomers], { contact: contact({ tags: ['novo'] }) }))).toEqual(['fired', 'fired', 'condition_failed']);
    });

    it('leaves its input untouched (the contact\'s tags stay as given)', () => {
      const given = contact({ tags: ['novo'] });
      run([rule({ actions: [{ type: 'add_tag', tag: 'lead' }, { type: 'remove_tag', tag: 'novo' }] })], { contact: given });
      expect(given.tags).toEqual(['novo']);
    });
  });

  describe('guards', () => {
    const { rule, contact, run } = setup();
    const replies: RuleAction[] = [
      { type: 'reply_text', text: 't' },
      { type: 'reply_buttons', text: 'b', buttons: [{ id: 'a', title: 'A' }] },
      { type: 'reply_list', text: 'l', button: 'Ver', sections: [{ rows: [{ id: 'r', title: 'R' }] }] },
      { type: 'reply_media', mediaType: 'image', link: 'https://cdn.example.com/a.png' },
      { type: 'reply_template', template: 'oi', language: 'pt_BR', parameters: [] },
      { type: 'mark_read' },
      { type: 'add_tag', tag: 'x' },
      { type: 'handoff' },
    ];

    it('outside the 24-hour window, free-form replies are skipped and templates and other actions still go', () => {
      const planned = run([rule({ actions: replies })], { windowOpen: false }).fired[0].actions;
      expect(planned.map((p) => [p.action.type, p.run, p.skipReason])).toEqual([
        ['reply_text', false, 'window_closed'],
        ['reply_buttons', false, 'window_closed'],
        ['reply_list', false, 'window_closed'],
        ['reply_media', false, 'window_closed'],
        ['reply_template', true, undefined],
        ['mark_read', true, undefined],
        ['add_tag', true, undefined],
        ['handoff', true, undefined],
      ]);
    });

    it('a skipped reply is still rendered, for the dry run to show', () => {
      expect(run([rule({ actions: [{ type: 'reply_text', text: 'Oi {{contact.first_name}}' }] })], { windowOpen: false }).fired[0].actions[0].rendered).toEqual({ text: 'Oi Maria' });
    });

    it('replies beyond the hourly limit are skipped, counting the last hour and this evaluation', () => {
      const first = rule({ stop: false, actions: [{ type: 'reply_text', text: '1' }, { type: 'mark_read' }] });
      const second = rule({ actions: [{ type: 'reply_text', text: '2' }, { type: 'reply_template', template: 'oi', language: 'pt_BR', parameters: [] }] });
      const evaluation = run([first, second], { contact: contact({ automatedRepliesLastHour: 8 }), replyLimitPerHour: 10 });
      expect(evaluation.fired.flatMap((f) => f.actions.map((p) => [p.action.type, p.run, p.skipReason]))).toEqual([
        ['reply_text', true, undefined],
        ['mark_read', true, undefined],
        ['reply_text', true, undefined],
        ['reply_template', false, 'reply_limit'],
      ]);
    });

    it('a contact already at the limit gets no reply, and the rule still fires (its other actions run)', () => {
      const evaluation = run([rule({ actions: [{ type: 'reply_text', text: 'x' }, { type: 'add_tag', tag: 'y' }] })], { contact: contact({ automatedRepliesLastHour: 10 }) });
      expect(outcomes(evaluation)).toEqual(['fired']);
      expect(evaluation.fired[0].actions.map((p) => [p.run, p.skipReason])).toEqual([[false, 'reply_limit'], [true, undefined]]);
    });

    it('replies skipped for the window do not use up the limit', () => {
      const actions: RuleAction[] = [{ type: 'reply_text', text: 'x' }, { type: 'reply_template', template: 'oi', language: 'pt_BR', parameters: [] }];
      const planned = run([rule({ actions })], { windowOpen: false, contact: contact({ automatedRepliesLastHour: 9 }) }).fired[0].actions;
      expect(planned.map((p) => [p.run, p.skipReason])).toEqual([[false, 'window_closed'], [true, undefined]]);
    });

    it('a limit of 0 sends no automated reply', () => {
      expect(run([rule()], { replyLimitPerHour: 0 }).fired[0].actions[0]).toMatchObject({ run: false, skipReason: 'reply_limit' });
    });
  });

  it('is deterministic: the same input gives the same evaluation', () => {
    const { rule, keyword, input } = setup();
    const given = input([keyword(['oi'], 'contains', { stop: false }), rule({ conditions: [{ type: 'cooldown', hours: 1 }] })]);
    expect(evaluateRules(given)).toEqual(evaluateRules(given));
  });
});

describe('engineMessageOf', () => {
  const sentAt = NOW;
  const of = (payload: Omit<MetaMessage, 'id' | 'from'>) => engineMessageOf({ id: 'wamid.1', from: '5511999990000', ...payload } as MetaMessage, sentAt);

  it.each([
    ['a text', { type: 'text', text: { body: 'Cardápio' } }, { type: 'text', text: 'Cardápio', buttonId: null, listRowId: null }],
    ['a reply button', { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Sim' } } }, { type: 'interactive', text: 'Sim', buttonId: 'yes', listRowId: null }],
    ['a list row', { type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'pizza', title: 'Pizza' } } }, { type: 'interactive', text: 'Pizza', buttonId: null, listRowId: 'pizza' }],
    ['a template quick reply', { type: 'button', button: { text: 'Parar', payload: 'stop_promos' } }, { type: 'button', text: 'Parar', buttonId: 'stop_promos', listRowId: null }],
    ['an image with a caption', { type: 'image', image: { id: 'm1', caption: 'olha' } }, { type: 'image', text: 'olha', buttonId: null, listRowId: null }],
    ['a document with a caption', { type: 'document', document: { id: 'm1', caption: 'nota' } }, { type: 'document', text: 'nota', buttonId: null, listRowId: null }],
    ['an audio', { type: 'audio', audio: { id: 'm1' } }, { type: 'audio', text: null, buttonId: null, listRowId: null }],
    ['a location', { type: 'location', location: { latitude: 1, longitude: 2, name: 'Casa' } }, { type: 'location', text: null, buttonId: null, listRowId: null }],
    ['a reaction', { type: 'reaction', reaction: { message_id: 'wamid.0', emoji: '👍' } }, { type: 'reaction', text: null, buttonId: null, listRowId: null }],
    ['an unsupported message', { type: 'unsupported', errors: [{ code: 131051 }] }, { type: 'unsupported', text: null, buttonId: null, listRowId: null }],
  ])('reads %s', (_label, payload, expected) => {
    expect(of(payload as Omit<MetaMessage, 'id' | 'from'>)).toEqual({ ...expected, sentAt });
  });

  it('reads malformed fields as absent, not as text', () => {
    expect(of({ type: 'text', text: { body: 42 } } as never)).toEqual({ type: 'text', text: null, buttonId: null, listRowId: null, sentAt });
    expect(of({ type: 'interactive', interactive: 'nope' } as never)).toEqual({ type: 'interactive', text: null, buttonId: null, listRowId: null, sentAt });
    expect(of({ type: '' } as never).type).toBe('unknown');
  });
});

describe('messageKindOf', () => {
  it.each([
    ['text', 'readable'], ['interactive', 'readable'], ['button', 'readable'], ['sticker', 'readable'], ['contacts', 'readable'],
    ['reaction', 'ignored'], ['system', 'ignored'],
    ['unsupported', 'opaque'], ['order', 'opaque'], ['request_welcome', 'opaque'], ['something_new', 'opaque'],
  ])('%s is %s', (type, kind) => {
    expect(messageKindOf(type)).toBe(kind);
  });
});
