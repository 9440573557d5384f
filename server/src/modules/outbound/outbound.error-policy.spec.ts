import { describe, expect, it } from 'vitest';
import { META_ERROR_TABLE, MetaApiError, MetaNetworkError } from '../../meta/meta-errors.js';
import { MAX_BACKOFF_MS, MAX_TRANSIENT_RETRIES, NETWORK_RETRY_MIN_MS, onSendError, type SendErrorFacts } from './outbound.error-policy.js';

// The error policy row by row: every code Meta's table names, the HTTP fallbacks, the network
// errors, and the edges of retrying (growth, cap, giving up).

const facts = (error: MetaApiError, extra: Partial<SendErrorFacts> = {}): SendErrorFacts => ({
  kind: error.kind, code: error.code, backoffMs: error.backoffMs, transientRetries: 0, recipientGapMs: 6_000, inCampaign: false, ...extra,
});
const meta = (code: number, httpStatus = 400) => new MetaApiError({ message: `error ${code}`, code, httpStatus });

describe('onSendError', () => {
  const expected: Record<number, string> = {
    1: 'retry', 2: 'retry', 131000: 'retry', 4: 'retry',
    130429: 'back_off_number', 131056: 'delay_recipient',
    131047: 'fail', 131048: 'fail', 131049: 'fail', 131026: 'fail', 100: 'fail',
    190: 'pause_number', 10: 'pause_number', 200: 'pause_number',
  };

  it('has a row for every code in Meta\'s table', () => {
    expect(Object.keys(META_ERROR_TABLE).map(Number).sort()).toEqual(Object.keys(expected).map(Number).sort());
  });

  for (const [code, action] of Object.entries(expected)) {
    it(`${code} (${META_ERROR_TABLE[Number(code)].meaning}) → ${action}`, () => {
      expect(onSendError(facts(meta(Number(code)))).action).toBe(action);
    });
  }

  it('130429 backs the whole number off for the wait Meta suggests, and gives the slot back', () => {
    expect(onSendError(facts(meta(130429)))).toEqual({ action: 'back_off_number', release: 'refused', backoffMs: 1_000, delayMs: 1_000, jitterMs: 200 });
  });

  it('131056 holds only the recipient, at least the configured gap between two sends to one person', () => {
    expect(onSendError(facts(meta(131056), { recipientGapMs: 9_000 }))).toMatchObject({ action: 'delay_recipient', recipientPauseMs: 9_000, delayMs: 9_000 });
    expect(onSendError(facts(meta(131056), { recipientGapMs: 1_000 }))).toMatchObject({ recipientPauseMs: 6_000 });
  });

  it('a transient error backs off exponentially from what Meta suggests, capped', () => {
    const delays = [0, 1, 2, 3].map((n) => onSendError(facts(meta(131000, 500), { transientRetries: n })));
    expect(delays.map((d) => d.action === 'retry' && d.delayMs)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(delays.every((d) => d.release === 'refused')).toBe(true);
    const app = onSendError(facts(meta(4), { transientRetries: 7 }));
    expect(app).toMatchObject({ action: 'retry', delayMs: MAX_BACKOFF_MS });
  });

  it(`gives up after ${MAX_TRANSIENT_RETRIES} transient retries, saying so`, () => {
    expect(onSendError(facts(meta(131000, 500), { transientRetries: MAX_TRANSIENT_RETRIES - 1 })).action).toBe('retry');
    expect(onSendError(facts(meta(131000, 500), { transientRetries: MAX_TRANSIENT_RETRIES }))).toEqual({ action: 'fail', release: 'refused', titleSuffix: ` (gave up after ${MAX_TRANSIENT_RETRIES} retries)` });
  });

  it('no answer (timeout, dropped connection): retried no sooner than Meta\'s statuses can show it went, the slot held as if accepted', () => {
    for (const error of [new MetaNetworkError('timeout', 'timed out'), new MetaNetworkError('connection', 'reset')]) {
      expect(onSendError(facts(error))).toMatchObject({ action: 'retry', release: 'unknown', delayMs: NETWORK_RETRY_MIN_MS });
    }
    expect(onSendError(facts(new MetaNetworkError('timeout', 'timed out'), { transientRetries: MAX_TRANSIENT_RETRIES }))).toMatchObject({ action: 'fail', release: 'unknown' });
  });

  it('131048 (spam) fails the message, alerts, and pauses its campaign; 131049 alerts but leaves the campaign', () => {
    expect(onSendError(facts(meta(131048), { inCampaign: true }))).toEqual({ action: 'fail', release: 'refused', alert: true, pauseCampaign: true });
    expect(onSendError(facts(meta(131048), { inCampaign: false }))).toMatchObject({ pauseCampaign: false });
    expect(onSendError(facts(meta(131049), { inCampaign: true }))).toMatchObject({ alert: true, pauseCampaign: false });
  });

  it('codes Meta\'s table does not name fall back on the HTTP status', () => {
    expect(onSendError(facts(meta(999_999, 503))).action).toBe('retry');
    expect(onSendError(facts(meta(999_999, 429))).action).toBe('back_off_number');
    expect(onSendError(facts(meta(999_999, 401))).action).toBe('pause_number');
    expect(onSendError(facts(meta(999_999, 400))).action).toBe('fail');
  });
});
