/**
 * React hooks shared by the builder, the dialogs, the sidebar and the run detail.
 */
import * as React from 'react';

import { errorMessage } from '../api/errorText';
import { Debounced, IDebouncedRequest } from './debounce';

/**
 * A server request sent `delayMs` after `deps` last changed. `plan` runs like an effect's body
 * each time they change: it may update state at once (say, "checking..."), then returns the
 * request with its handlers, or null for none. A change or unmounting cancels the request
 * still waiting, and the answer to a request that is no longer the newest is dropped.
 * `delayMs` is read on the first render.
 */
export function useDebouncedRequest<T>(
  plan: () => IDebouncedRequest<T> | null,
  deps: React.DependencyList,
  delayMs: number
): void {
  const [debounced] = React.useState(() => new Debounced(delayMs));
  React.useEffect(() => {
    const next = plan();
    if (next) {
      debounced.schedule(next);
    }
    return () => debounced.cancel();
  }, deps);
}

/**
 * What the server answers to `request`, asked once when the component mounts (again when `deps`
 * change): null until it answers; `problem` says why it could not (the value stays null).
 */
export function useServerValue<T>(
  request: () => Promise<T>,
  deps: React.DependencyList
): { value: T | null; problem: string | null } {
  const [value, setValue] = React.useState<T | null>(null);
  const [problem, setProblem] = React.useState<string | null>(null);
  useDebouncedRequest(
    () => ({
      request,
      onResult: setValue,
      onError: error => setProblem(errorMessage(error))
    }),
    deps,
    0
  );
  return { value, problem };
}

/**
 * The current time, ticking every second while `live`: durations and countdowns count on
 * without a fetch. When not live, the time of each render.
 */
export function useNow(live: boolean): Date {
  const [now, setNow] = React.useState(() => new Date());
  React.useEffect(() => {
    if (!live) {
      return;
    }
    const timer = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return live ? now : new Date();
}
