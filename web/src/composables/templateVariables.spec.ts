import { describe, expect, it } from 'vitest';
import { GraphQLRequestError } from '../api/client';
import type { RuleTemplateVariable } from '../api/types';
import { applyErrorsOf, initialValues, labelOf, missingRequired, variablesPayload } from './templateVariables';

const variable = (name: string, over: Partial<RuleTemplateVariable> = {}): RuleTemplateVariable => ({ name, type: 'text', label: name, help: '', required: true, default: null, example: null, options: null, ...over });
const vars = [
  variable('business_name', { help: 'Shown in the greeting' }),
  variable('handoff_text', { help: 'Said before a human takes over', required: false, default: 'Um momento' }),
  variable('city', { required: false }),
];

describe('templateVariables', () => {
  it('prefills each declared variable with its default', () => {
    expect(initialValues(vars)).toEqual({ business_name: '', handoff_text: 'Um momento', city: '' });
  });

  it('reports required variables left blank', () => {
    expect(missingRequired(vars, { business_name: '  ', handoff_text: '', city: '' })).toEqual({ business_name: 'required' });
    expect(missingRequired(vars, { business_name: 'Padaria', handoff_text: '', city: '' })).toEqual({});
  });

  it('sends trimmed values and leaves blanks out so the server applies defaults', () => {
    expect(variablesPayload(vars, { business_name: ' Padaria Real ', handoff_text: '', city: '' })).toEqual({ business_name: 'Padaria Real' });
  });

  it('labels snake_case names for people', () => {
    expect(labelOf('business_name')).toBe('Business name');
  });

  it('marks each variable the server refused under its own input', () => {
    const refused = new GraphQLRequestError([{ message: 'variables: missing values for template variables: handoff_text', extensions: { code: 'VALIDATION_FAILED', field: 'input.variables', missing: ['handoff_text'], unknown: ['extra'] } }], 200);
    expect(applyErrorsOf(refused)).toEqual({
      fields: { variables: 'missing values for template variables: handoff_text', handoff_text: 'required', extra: 'not a variable of this template' },
      form: null,
    });
  });
});
