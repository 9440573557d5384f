import { describe, expect, it } from 'vitest';
import { describeCancelStep, isTrustedOrigin, readSignupMessage, simulatorPopupUrl } from './embeddedSignup';

describe('Embedded Signup messages', () => {
  it("reads Meta's FINISH (a JSON string) and the simulator's (an object with the code)", () => {
    expect(readSignupMessage(JSON.stringify({ type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', data: { waba_id: '111', phone_number_id: '222' } })))
      .toEqual({ kind: 'finish', wabaId: '111', phoneNumberId: '222', code: null });
    expect(readSignupMessage({ type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', version: 4, data: { code: 'abc', waba_id: '111', phone_number_id: '222' } }))
      .toEqual({ kind: 'finish', wabaId: '111', phoneNumberId: '222', code: 'abc' });
  });

  it('reads CANCEL with the step the client left on', () => {
    expect(readSignupMessage({ type: 'WA_EMBEDDED_SIGNUP', event: 'CANCEL', data: { current_step: 'PHONE_NUMBER_SETUP' } })).toEqual({ kind: 'cancel', step: 'PHONE_NUMBER_SETUP' });
    expect(describeCancelStep('PHONE_NUMBER_SETUP')).toBe('at “phone number setup”');
    expect(describeCancelStep(null)).toBe('before finishing');
  });

  it('turns a finish without a number, and an ERROR, into a clear error', () => {
    expect(readSignupMessage({ type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH_ONLY_WABA', data: { waba_id: '111' } })).toMatchObject({ kind: 'error', message: expect.stringMatching(/without a phone number/) });
    expect(readSignupMessage({ type: 'WA_EMBEDDED_SIGNUP', event: 'ERROR', data: { error_message: 'session expired' } })).toEqual({ kind: 'error', message: 'session expired' });
  });

  it("ignores other windows' messages", () => {
    expect(readSignupMessage('not json')).toBeNull();
    expect(readSignupMessage({ type: 'webpackOk' })).toBeNull();
    expect(readSignupMessage(null)).toBeNull();
  });

  it("trusts only the popup's origin: the simulator's in development, facebook.com otherwise", () => {
    expect(isTrustedOrigin('http://127.0.0.1:4010', 'http://127.0.0.1:4010/dialog/embedded-signup?app_id=1')).toBe(true);
    expect(isTrustedOrigin('https://www.facebook.com', 'http://127.0.0.1:4010/dialog/embedded-signup')).toBe(false);
    expect(isTrustedOrigin('https://www.facebook.com', null)).toBe(true);
    expect(isTrustedOrigin('https://evil-facebook.com', null)).toBe(false);
  });

  it("keeps the simulator page's app id and adds the state", () => {
    expect(simulatorPopupUrl('http://127.0.0.1:4010/dialog/embedded-signup?app_id=1', 's1')).toBe('http://127.0.0.1:4010/dialog/embedded-signup?app_id=1&state=s1');
  });
});
