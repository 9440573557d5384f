import { describe, expect, it, vi } from 'vitest';
import { connectWhatsApp, describeCancelStep, isTrustedOrigin, readSignupMessage, simulatorPopupUrl } from './embeddedSignup';

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

describe('connectWhatsApp (the simulator popup in development)', () => {
  const settings = { appId: '1', configId: null, simulatorSignupUrl: 'http://127.0.0.1:4010/dialog/embedded-signup?app_id=1' };
  /** A page window: it opens a fake popup and receives messages as the popup would post them. */
  function fakeWindow(popup: { closed: boolean } | null) {
    const target = new EventTarget();
    const opened: string[] = [];
    const win = Object.assign(target, {
      open: (url: string) => { opened.push(url); return popup; },
      post: (data: unknown, origin: string) => target.dispatchEvent(new MessageEvent('message', { data, origin })),
    });
    return { win: win as unknown as Window & { post: (data: unknown, origin: string) => void }, opened };
  }

  it("settles with the popup's FINISH, ignoring a message from another origin", async () => {
    const { win, opened } = fakeWindow({ closed: false });
    const outcome = connectWhatsApp(settings, win);
    expect(opened[0]).toContain('state=wabahub-invite');
    const finish = { type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', data: { code: 'c1', waba_id: '11', phone_number_id: '22' } };
    win.post({ ...finish, data: { ...finish.data, code: 'forged' } }, 'https://evil.example');
    win.post(finish, 'http://127.0.0.1:4010');
    expect(await outcome).toEqual({ kind: 'finish', wabaId: '11', phoneNumberId: '22', code: 'c1' });
  });

  it('settles as cancelled before finishing when the popup closes without a word', async () => {
    vi.useFakeTimers();
    try {
      const popup = { closed: false };
      const { win } = fakeWindow(popup);
      const outcome = connectWhatsApp(settings, win);
      popup.closed = true;
      await vi.advanceTimersByTimeAsync(1000);
      expect(await outcome).toEqual({ kind: 'cancel', step: null });
    } finally {
      vi.useRealTimers();
    }
  });

  it('says so when the browser blocked the popup', async () => {
    const { win } = fakeWindow(null);
    expect(await connectWhatsApp(settings, win)).toMatchObject({ kind: 'error', message: expect.stringMatching(/blocked the signup window/) });
  });

  it('says Embedded Signup is not configured when production has no configuration id', async () => {
    const { win } = fakeWindow(null);
    expect(await connectWhatsApp({ appId: '1', configId: null, simulatorSignupUrl: null }, win)).toMatchObject({ kind: 'error', message: expect.stringMatching(/not configured/) });
  });
});
