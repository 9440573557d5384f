import { describe, expect, it } from 'vitest';
import { classifyMetaError, MetaApiError, MetaNetworkError } from './meta-errors.js';

// The table of /work/shared/meta-cloud-api.md, "Limits and error codes", code by code.
describe(MetaApiError.name, () => {
  describe('fromResponse', () => {
    it.each([
      [130429, 400, 'rate_limited_number', true],
      [131056, 400, 'rate_limited_recipient', true],
      [131047, 400, 'window_closed', false],
      [131048, 400, 'policy_limited', false],
      [131049, 400, 'policy_limited', false],
      [131026, 400, 'terminal', false],
      [190, 401, 'token', false],
      [100, 400, 'terminal', false],
      [1, 500, 'transient', true],
      [2, 503, 'transient', true],
      [131000, 500, 'transient', true],
    ] as const)('classifies code %i (HTTP %i) as %s', (code, httpStatus, kind, retryable) => {
      const error = MetaApiError.fromResponse(httpStatus, { error: { message: `(#${code}) x`, type: 'OAuthException', code, error_subcode: 7, error_data: { messaging_product: 'whatsapp', details: 'why' }, fbtrace_id: 'Abc' } });
      expect(error).toMatchObject({ code, httpStatus, kind, retryable, subcode: 7, details: 'why', fbtraceId: 'Abc', message: `(#${code}) x`, name: 'MetaApiError' });
      expect(error.backoffMs === undefined).toBe(!retryable);
    });

    it('suggests waiting 6 s for one recipient and 1 s for the number', () => {
      expect(classifyMetaError(131056, 400).backoffMs).toBe(6_000);
      expect(classifyMetaError(130429, 400).backoffMs).toBe(1_000);
    });

    it('falls back on the HTTP status for an unknown code or a body without error', () => {
      expect(MetaApiError.fromResponse(502, '<html>Bad gateway</html>')).toMatchObject({ code: 0, kind: 'transient', retryable: true });
      expect(MetaApiError.fromResponse(400, { error: { code: 132001, message: 'template' } })).toMatchObject({ kind: 'terminal', retryable: false });
      expect(MetaApiError.fromResponse(500, { error: { code: 987654, message: 'new' } })).toMatchObject({ kind: 'transient' });
    });
  });

  describe('fromStatusError', () => {
    it('classifies the error of a failed status callback with the same table', () => {
      expect(MetaApiError.fromStatusError({ code: 131047, title: 'Re-engagement message', error_data: { details: 'more than 24 hours' } })).toMatchObject({
        kind: 'window_closed',
        retryable: false,
        details: 'more than 24 hours',
      });
    });
  });
});

describe(MetaNetworkError.name, () => {
  it('is a retryable MetaApiError of kind network with its own negative code', () => {
    const timeout = new MetaNetworkError('timeout', 'no answer');
    const dropped = new MetaNetworkError('connection', 'reset');
    expect(timeout).toBeInstanceOf(MetaApiError);
    expect([timeout.code, dropped.code]).toEqual([-1, -2]);
    expect(timeout).toMatchObject({ kind: 'network', retryable: true, httpStatus: 0, reason: 'timeout', name: 'MetaNetworkError' });
  });
});
