import { describe, expect, it } from 'vitest';
import { formErrorsOf } from './fieldErrors';
import { GraphQLRequestError } from '../api/client';

const validation = (field: string | undefined, message: string) =>
  new GraphQLRequestError([{ message, extensions: { code: 'VALIDATION_FAILED', ...(field ? { field } : {}) } }], 200);

describe('formErrorsOf', () => {
  it('puts a VALIDATION_FAILED message under its field, without the field prefix', () => {
    const errors = formErrorsOf(validation('displayPhoneNumber', 'displayPhoneNumber: "12" is not a phone number in E.164 form (e.g. +5511987654321)'), ['phoneNumberId', 'displayPhoneNumber']);
    expect(errors.fields).toEqual({ displayPhoneNumber: '"12" is not a phone number in E.164 form (e.g. +5511987654321)' });
    expect(errors.form).toBeNull();
  });

  it('maps nested paths to the form field they belong to', () => {
    expect(formErrorsOf(validation('businessHours[1]', 'businessHours[1]: close must be after open'), ['businessHours']).fields).toEqual({ businessHours: 'close must be after open' });
  });

  it('shows a validation error on a field the form does not have at form level too', () => {
    const errors = formErrorsOf(validation('after', 'after: not a cursor this API returned'), ['name']);
    expect(errors.form).toEqual({ code: 'VALIDATION_FAILED', message: 'after: not a cursor this API returned' });
  });

  it('shows other errors with their code at form level', () => {
    const errors = formErrorsOf(new GraphQLRequestError([{ message: 'only the operator may do this', extensions: { code: 'FORBIDDEN' } }], 200), ['name']);
    expect(errors).toEqual({ fields: {}, form: { code: 'FORBIDDEN', message: 'only the operator may do this' } });
    expect(formErrorsOf(new Error('offline')).form).toEqual({ code: 'ERROR', message: 'offline' });
  });
});
