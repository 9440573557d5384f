import { describe, expect, it } from 'vitest';
import { useSubmit } from './useSubmit';
import { GraphQLRequestError } from '../api/client';

const validation = (field: string, message: string) =>
  new GraphQLRequestError([{ message: `${field}: ${message}`, extensions: { code: 'VALIDATION_FAILED', field } }], 200);

/** A promise the test settles by hand, to look at the state while an action runs. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('useSubmit', () => {
  it('is busy while the action runs, then keeps what it returned', async () => {
    const answer = deferred<{ id: string }>();
    const submit = useSubmit(() => answer.promise);
    const run = submit.run();
    expect(submit.busy.value).toBe(true);
    answer.resolve({ id: 'a' });
    expect(await run).toBe(true);
    expect(submit.busy.value).toBe(false);
    expect(submit.result.value).toEqual({ id: 'a' });
  });

  it('passes its arguments to the action (a row button acts on its row)', async () => {
    const seen: string[] = [];
    const submit = useSubmit(async (id: string, status: 'active' | 'paused') => { seen.push(`${id}:${status}`); });
    await submit.run('i1', 'paused');
    expect(seen).toEqual(['i1:paused']);
  });

  it("puts a VALIDATION_FAILED error under the form's field it names", async () => {
    const submit = useSubmit(() => Promise.reject(validation('input.name', 'must not be empty')), { fields: ['name'] });
    expect(await submit.run()).toBe(false);
    expect(submit.errors.value).toEqual({ fields: { name: 'must not be empty' }, form: null });
    expect(submit.busy.value).toBe(false);
  });

  it('shows every failure as one notice when it has no fields (a button)', async () => {
    const submit = useSubmit(() => Promise.reject(validation('status', 'not a status')));
    await submit.run();
    expect(submit.errors.value).toEqual({ fields: {}, form: { code: 'VALIDATION_FAILED', message: 'status: not a status' } });
    const offline = useSubmit(() => Promise.reject(new Error('offline')));
    await offline.run();
    expect(offline.errors.value.form).toEqual({ code: 'ERROR', message: 'offline' });
  });

  it('sends nothing while validate names a field, and shows its message there', async () => {
    let sent = 0;
    const submit = useSubmit(async (name: string) => { sent++; return name; }, { validate: (name) => (name.trim() ? {} : { name: 'required' }) });
    expect(await submit.run('  ')).toBe(false);
    expect(sent).toBe(0);
    expect(submit.errors.value).toEqual({ fields: { name: 'required' }, form: null });
    expect(await submit.run('Ana')).toBe(true);
    expect(sent).toBe(1);
  });

  it("starts each run clean: the last run's errors and result are gone", async () => {
    let fail = false;
    const submit = useSubmit(async () => { if (fail) throw new Error('down'); return 'sent'; });
    await submit.run();
    expect(submit.result.value).toBe('sent');
    fail = true;
    await submit.run();
    expect(submit.result.value).toBeNull();
    expect(submit.errors.value.form?.message).toBe('down');
    fail = false;
    const again = submit.run();
    expect(submit.errors.value.form).toBeNull();
    await again;
  });

  it('stays busy until every overlapping run has ended (buttons on two rows)', async () => {
    const first = deferred();
    const second = deferred();
    const submit = useSubmit((which: 'first' | 'second') => (which === 'first' ? first.promise : second.promise));
    const runs = [submit.run('first'), submit.run('second')];
    first.resolve();
    await runs[0];
    expect(submit.busy.value).toBe(true);
    second.resolve();
    await runs[1];
    expect(submit.busy.value).toBe(false);
  });

  it('reads failures with errorsOf when the page knows more about them', async () => {
    const submit = useSubmit(() => Promise.reject(new Error('x')), { errorsOf: () => ({ fields: { handoff_text: 'required' }, form: null }) });
    await submit.run();
    expect(submit.errors.value.fields).toEqual({ handoff_text: 'required' });
  });

  it('forgets errors and result on reset (the form was closed)', async () => {
    const submit = useSubmit(() => Promise.reject(validation('name', 'taken')), { fields: ['name'] });
    await submit.run();
    submit.reset();
    expect(submit.errors.value).toEqual({ fields: {}, form: null });
    expect(submit.result.value).toBeNull();
  });
});
