import { describe, expect, it } from 'vitest';
import {
  failedStep, isNewer, phoneProblem, prefilledVariables, previewValue, progressOf, refusedCode, stepDuration, stepLabel, templatesFor,
  type OnboardingStep, type StarterTemplate, type StarterVariable,
} from './onboarding';

const step = (name: string, state: string, extra: Partial<OnboardingStep> = {}): OnboardingStep => ({
  name, state, description: name, attempts: state === 'pending' ? 0 : 1, startedAt: null, finishedAt: null, error: null, ...extra,
});
const run = (state: string, steps: OnboardingStep[]) => ({ state, steps });
const wrongCode = { step: 'verify_code', code: 136025, message: 'the code is wrong', fix: 'type the 6 digits of the latest SMS' };

describe('onboarding run view', () => {
  it('names each step for people, and makes a name out of one it does not know', () => {
    expect(stepLabel('subscribe_app')).toBe('Receive its messages');
    expect(stepLabel('brand_new_step')).toBe('Brand new step');
  });

  it('finds the step a failed run stopped on, and none while it runs', () => {
    const steps = [step('find_number', 'succeeded'), step('register', 'failed', { error: { step: 'register', code: 133005, message: 'PIN mismatch', fix: 'give the PIN' } }), step('subscribe_app', 'pending')];
    expect(failedStep(run('failed', steps))?.name).toBe('register');
    expect(failedStep(run('running', steps))).toBeNull();
  });

  it('shows a refused SMS code only while the run still waits for one', () => {
    const steps = [step('request_code', 'succeeded'), step('verify_code', 'waiting', { error: wrongCode })];
    expect(refusedCode(run('waiting_for_code', steps))).toEqual(wrongCode);
    expect(refusedCode(run('running', steps))).toBeNull();
  });

  it('counts skipped steps as settled', () => {
    expect(progressOf(run('running', [step('a', 'succeeded'), step('b', 'skipped'), step('c', 'running'), step('d', 'pending')]))).toEqual({ done: 2, total: 4 });
  });

  it('says how long a step took, or has been running', () => {
    expect(stepDuration({ startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:00.250Z' })).toBe('250 ms');
    expect(stepDuration({ startedAt: '2026-01-01T00:00:00.000Z', finishedAt: null }, Date.parse('2026-01-01T00:00:03.400Z'))).toBe('3.4 s');
    expect(stepDuration({ startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:02:05.000Z' })).toBe('2 min 5 s');
    expect(stepDuration({ startedAt: null, finishedAt: null })).toBeNull();
  });

  describe('isNewer', () => {
    const early = run('running', [step('a', 'succeeded'), step('b', 'running')]);
    const later = run('running', [step('a', 'succeeded'), step('b', 'succeeded')]);
    it('keeps the pushed update when a slower read answers with less progress', () => {
      expect(isNewer(later, early)).toBe(false);
      expect(isNewer(early, later)).toBe(true);
    });
    it('takes a retried run although it redoes its failed step', () => {
      const failed = run('failed', [step('a', 'succeeded'), step('b', 'failed')]);
      expect(isNewer(failed, run('running', [step('a', 'succeeded'), step('b', 'pending')]))).toBe(true);
    });
    it('does not take a running run back over the same progress once it finished', () => {
      const done = run('succeeded', [step('a', 'succeeded'), step('b', 'succeeded')]);
      expect(isNewer(done, later)).toBe(false);
      expect(isNewer(later, done)).toBe(true);
    });
    it('takes the latest answer at the same progress and state (a new error on the waiting step)', () => {
      expect(isNewer(early, run('running', [step('a', 'succeeded'), step('b', 'running', { attempts: 2 })]))).toBe(true);
    });
  });
});

describe('quick setup form', () => {
  it('accepts a number as people type it and says what is wrong with one that cannot be', () => {
    expect(phoneProblem('(11) 98765-4321')).toBeUndefined();
    expect(phoneProblem('+55 11 9 8765 4321')).toBeUndefined();
    expect(phoneProblem('')).toMatch(/type the WhatsApp number/);
    expect(phoneProblem('1234')).toMatch(/too short/);
    expect(phoneProblem('1234567890123456')).toMatch(/too long/);
  });

  const variable = (v: Partial<StarterVariable> & { name: string }): StarterVariable => ({ type: 'text', label: v.name, help: '', required: true, default: null, example: null, options: null, ...v });

  it("prefills a template's variables with defaults, else examples, leaving the business name to its own field", () => {
    const { values, missing } = prefilledVariables([
      variable({ name: 'business_name', example: 'Padaria' }),
      variable({ name: 'menu_url', example: 'https://example.com/cardapio' }),
      variable({ name: 'greeting', default: 'Olá!', example: 'Oi' }),
      variable({ name: 'delivery_fee', type: 'money', example: { amount: 7.9, currency: 'BRL' } }),
      variable({ name: 'note', required: false }),
      variable({ name: 'pix_key' }),
    ]);
    expect(values).toEqual({ menu_url: 'https://example.com/cardapio', greeting: 'Olá!', delivery_fee: { amount: 7.9, currency: 'BRL' } });
    expect(missing).toEqual(['pix_key']);
  });

  it('previews a prefilled value in one line', () => {
    expect(previewValue({ amount: 7.9, currency: 'BRL' })).toBe('BRL 7.90');
    expect(previewValue(['a', 'b'])).toBe('a, b');
    expect(previewValue({ mon: [['09:00', '18:00']] })).toBe('{"mon":[["09:00","18:00"]]}'); // a shape it does not know: as JSON
    expect(previewValue(null)).toBe('—');
    expect(previewValue({ days: [0, 2, 3, 4, 5, 6].map((day) => ({ day, open: '11:30', close: '23:00' })) })).toBe('Tue–Sun 11:30–23:00');
    expect(previewValue({ days: [...[1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '18:00' })), { day: 6, open: '09:00', close: '13:00' }] })).toBe('Mon–Fri 09:00–18:00; Sat 09:00–13:00');
    expect(previewValue({ days: [{ day: 1, open: '08:00', close: '12:00' }, { day: 3, open: '08:00', close: '12:00' }] })).toBe('Mon, Wed 08:00–12:00');
  });

  it("lists the templates in the country's language first", () => {
    const t = (id: string, locale: string) => ({ id, locale }) as StarterTemplate;
    expect(templatesFor('BR', [t('en1', 'en'), t('pt1', 'pt-BR'), t('en2', 'en')]).map((x) => x.id)).toEqual(['pt1', 'en1', 'en2']);
    expect(templatesFor('US', [t('pt1', 'pt-BR'), t('en1', 'en')]).map((x) => x.id)).toEqual(['en1', 'pt1']);
  });
});
