import { computed, ref, shallowRef } from 'vue';
import { describeError } from '../api/client';
import { formErrorsOf, noErrors, type FormErrors } from './fieldErrors';

// One thing a person submits, a form or a row's button: `busy` while it runs (the button shows a
// spinner and is disabled), its `errors` once it failed, and the value of its last success in
// `result` (a "sent" or "applied" notice) until the next run starts. Every run starts clean.
//
// A form names its input `fields`: a VALIDATION_FAILED error naming one is shown under that field,
// anything else as one notice (`errors.form`). Without `fields` (a button) every failure is that notice.
// `validate` checks the input before anything is sent; a message per field stops the run.
//
// Pages hold it in reactive() so templates read `save.busy` and `save.errors.fields.name`:
//   const save = reactive(useSubmit(async () => { await gql(CREATE_TENANT, ...) }, { fields: ['name'] }));

export interface SubmitOptions<Args extends unknown[]> {
  fields?: readonly string[];
  validate?: (...args: Args) => Partial<Record<string, string>>;
  /** Reads a failure into form errors, where the default reading is not enough. */
  errorsOf?: (error: unknown) => FormErrors;
}

export function useSubmit<Args extends unknown[], Result>(action: (...args: Args) => Promise<Result>, options: SubmitOptions<Args> = {}) {
  const running = ref(0);
  const errors = shallowRef<FormErrors>(noErrors());
  const result = shallowRef<Result | null>(null);
  const errorsOf = options.errorsOf ?? ((error: unknown) => (options.fields ? formErrorsOf(error, options.fields) : { fields: {}, form: describeError(error) }));

  /** Resolves true when the action succeeded; it never rejects (a failure is in `errors`). */
  async function run(...args: Args): Promise<boolean> {
    errors.value = noErrors();
    result.value = null;
    const invalid = Object.entries(options.validate?.(...args) ?? {}).filter((entry): entry is [string, string] => !!entry[1]);
    if (invalid.length) {
      errors.value = { fields: Object.fromEntries(invalid), form: null };
      return false;
    }
    running.value++;
    try {
      result.value = await action(...args);
      return true;
    } catch (error) {
      errors.value = errorsOf(error);
      return false;
    } finally {
      running.value--;
    }
  }

  /** Forgets errors and result (the form was closed or opened for something else). */
  function reset(): void {
    errors.value = noErrors();
    result.value = null;
  }

  return { busy: computed(() => running.value > 0), errors, result, run, reset };
}
