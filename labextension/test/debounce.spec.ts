import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Debounced } from '../src/common/debounce';

/** A request whose answer the test gives when it wants, and what the handlers saw. */
class Answers {
  sent: string[] = [];
  results: string[] = [];
  errors: unknown[] = [];
  private _answers = new Map<string, (value: string) => void>();
  private _failures = new Map<string, (error: unknown) => void>();

  request(name: string) {
    return {
      request: () => {
        this.sent.push(name);
        return new Promise<string>((resolve, reject) => {
          this._answers.set(name, resolve);
          this._failures.set(name, reject);
        });
      },
      onResult: (value: string) => this.results.push(value),
      onError: (error: unknown) => this.errors.push(error)
    };
  }

  async answer(name: string, value = `answer to ${name}`): Promise<void> {
    this._answers.get(name)!(value);
    await vi.advanceTimersByTimeAsync(0);
  }

  async fail(name: string, error: unknown): Promise<void> {
    this._failures.get(name)!(error);
    await vi.advanceTimersByTimeAsync(0);
  }
}

describe('Debounced', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a request once its delay has passed, and passes the answer on', async () => {
    const debounced = new Debounced(400);
    const answers = new Answers();
    debounced.schedule(answers.request('a'));
    expect(debounced.pending).toBe(true);
    await vi.advanceTimersByTimeAsync(399);
    expect(answers.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(answers.sent).toEqual(['a']);
    expect(debounced.pending).toBe(false);
    await answers.answer('a');
    expect(answers.results).toEqual(['answer to a']);
    expect(answers.errors).toEqual([]);
  });

  it('replaces a waiting request, and waits the whole delay again', async () => {
    const debounced = new Debounced(300);
    const answers = new Answers();
    debounced.schedule(answers.request('a'));
    await vi.advanceTimersByTimeAsync(200);
    debounced.schedule(answers.request('b'));
    await vi.advanceTimersByTimeAsync(200);
    expect(answers.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(answers.sent).toEqual(['b']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(answers.sent).toEqual(['b']);
  });

  it('drops the answer to an older request that comes after a newer one', async () => {
    const debounced = new Debounced(500);
    const answers = new Answers();
    debounced.schedule(answers.request('old'));
    await vi.advanceTimersByTimeAsync(500);
    debounced.schedule(answers.request('new'));
    await vi.advanceTimersByTimeAsync(500);
    expect(answers.sent).toEqual(['old', 'new']);
    await answers.answer('new');
    await answers.answer('old');
    expect(answers.results).toEqual(['answer to new']);
  });

  it('drops the answer to an older request even while the newer one waits', async () => {
    const debounced = new Debounced(500);
    const answers = new Answers();
    debounced.schedule(answers.request('old'));
    await vi.advanceTimersByTimeAsync(500);
    debounced.schedule(answers.request('new'));
    await answers.fail('old', new Error('slow and wrong'));
    expect(answers.errors).toEqual([]);
    expect(answers.results).toEqual([]);
  });

  it('passes a failure of the newest request on', async () => {
    const debounced = new Debounced(300);
    const answers = new Answers();
    debounced.schedule(answers.request('a'));
    await vi.advanceTimersByTimeAsync(300);
    const error = new Error('no server');
    await answers.fail('a', error);
    expect(answers.errors).toEqual([error]);
    expect(answers.results).toEqual([]);
  });

  it('cancels: nothing waiting is sent and no answer to come is passed on', async () => {
    const debounced = new Debounced(300);
    const answers = new Answers();
    debounced.schedule(answers.request('sent'));
    await vi.advanceTimersByTimeAsync(300);
    debounced.schedule(answers.request('waiting'));
    debounced.cancel();
    expect(debounced.pending).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(answers.sent).toEqual(['sent']);
    await answers.answer('sent');
    expect(answers.results).toEqual([]);
  });

  it('passes an error thrown by the result handler to the error handler', async () => {
    // As the three hand-written versions did with .then(...).catch(...).
    const debounced = new Debounced(100);
    const errors: unknown[] = [];
    debounced.schedule({
      request: async () => 'x',
      onResult: () => {
        throw new Error('bad answer');
      },
      onError: error => errors.push(error)
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
  });
});
