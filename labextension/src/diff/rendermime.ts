/**
 * The rendermime registry notebook diffs render markdown and outputs with: the app's, which
 * the versions plugin hands over when it activates, else a standard one made on first use.
 * Small and free of nbdime, so that a plugin can set it without loading the diff widgets.
 */
import {
  IRenderMimeRegistry,
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';

let appRendermime: IRenderMimeRegistry | null = null;
let fallbackRendermime: IRenderMimeRegistry | null = null;

/** The registry diffs render with when not given one (null: a standard one). */
export function setDiffRendermime(registry: IRenderMimeRegistry | null): void {
  appRendermime = registry;
}

/** The app's registry when set, else a standard one. */
export function diffRendermime(): IRenderMimeRegistry {
  if (appRendermime) {
    return appRendermime;
  }
  fallbackRendermime ??= new RenderMimeRegistry({
    initialFactories: standardRendererFactories
  });
  return fallbackRendermime;
}
