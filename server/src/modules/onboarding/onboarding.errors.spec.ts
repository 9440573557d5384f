import { describe, expect, it } from 'vitest';
import { MetaApiError, MetaNetworkError } from '../../meta/meta-errors.js';
import { StepFailure, classifyStepFailure } from './onboarding.errors.js';

const meta = (code: number, extra: Partial<ConstructorParameters<typeof MetaApiError>[0]> = {}) => new MetaApiError({ message: `(#${code}) error`, code, httpStatus: 400, ...extra });

describe(classifyStepFailure.name, () => {
  it('retries what Meta says is transient, and a request that got no answer', () => {
    expect(classifyStepFailure('register', meta(131000, { httpStatus: 500 }))).toMatchObject({ retryable: true, error: { step: 'register', code: 131000 } });
    expect(classifyStepFailure('register', meta(133004))).toMatchObject({ retryable: true });
    expect(classifyStepFailure('add_number', new MetaNetworkError('timeout', 'no answer'))).toMatchObject({ retryable: true });
  });

  it('stops on the rest, naming the step, Meta\'s code and the fix', () => {
    expect(classifyStepFailure('register', meta(133005))).toEqual({ retryable: false, backoffMs: undefined, error: { step: 'register', code: 133005, message: '(#133005) error', fix: expect.stringMatching(/PIN/) } });
    expect(classifyStepFailure('register', meta(133016)).error.fix).toMatch(/72 hours/);
    expect(classifyStepFailure('subscribe_app', meta(100)).error.fix).toMatch(/webhook/);
    expect(classifyStepFailure('exchange_code', meta(100, { subcode: 36009 })).error.fix).toMatch(/already used/);
    expect(classifyStepFailure('add_number', meta(200000, { details: '+5511 is already registered to another WhatsApp Business Account.' })).error.fix).toMatch(/another business/);
    expect(classifyStepFailure('verify_code', meta(136025)).error.fix).toMatch(/latest SMS/);
  });

  it("keeps Meta's details in the message", () => {
    expect(classifyStepFailure('register', meta(133010, { details: 'The phone number is not registered.' })).error.message).toBe('(#133010) error: The phone number is not registered.');
  });

  it("carries wabahub's own failures with their fix", () => {
    expect(classifyStepFailure('check_token', new StepFailure('no scope', 'connect again', 200))).toEqual({ retryable: false, error: { step: 'check_token', code: 200, message: 'no scope', fix: 'connect again' } });
  });
});
