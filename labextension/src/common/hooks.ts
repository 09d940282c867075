/**
 * React hooks shared by the builder and the dialogs.
 */
import * as React from 'react';

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
