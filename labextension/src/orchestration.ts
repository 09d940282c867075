/**
 * The service the core plugin provides to the notebook and editor plugins (and to other
 * extensions): the API client, the panel's model and the ways to show runs.
 */
import { Token } from '@lumino/coreutils';

import type { OrchClient } from './api/api';
import type { IRun } from './api/tokens';
import type { OrchModel } from './panel/model';

/** What the core plugin gives the others. */
export interface IOrchestration {
  client: OrchClient;
  model: OrchModel;
  /** Shows the sidebar panel. */
  showPanel(): void;
  /** Opens a run's detail in the main area. */
  openRun(id: string): Promise<void>;
  /** Watches a run started from this browser; a notification says when it finishes. */
  watch(run: IRun): void;
}

export const IOrchestration = new Token<IOrchestration>(
  'jupyter-orch:IOrchestration',
  'The Orchestration panel, its API client and model.'
);
