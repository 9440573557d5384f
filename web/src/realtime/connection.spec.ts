import { describe, expect, it } from 'vitest';
import { subscriptionError } from './connection';

describe('subscriptionError', () => {
  it('names a closed socket', () => {
    expect(subscriptionError(new Event('close'))).toEqual({ code: 'CONNECTION_CLOSED', message: 'the live connection closed' });
  });

  it("joins the server's GraphQL errors into one message", () => {
    expect(subscriptionError([{ message: 'not your campaign' }, { message: 'try again' }])).toEqual({ code: 'SUBSCRIPTION_ERROR', message: 'not your campaign; try again' });
  });

  it('passes anything else on as it came', () => {
    const error = new Error('boom');
    expect(subscriptionError(error)).toBe(error);
  });
});
