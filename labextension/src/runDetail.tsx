/**
 * A run's detail in the main area (a placeholder while the view is written).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OrchClient } from './api';
import type { IRun } from './tokens';

export interface IRunDetailOptions {
  client: OrchClient;
  runId: string;
  /** Opens a notebook (relative to the root dir) through the document manager. */
  openNotebook: (path: string) => void;
  /** A rerun was created here: the plugin watches it and opens its detail. */
  onRunStarted: (run: IRun) => void;
  /** Opens the pipeline in the builder. */
  editPipeline: (name: string) => void;
}

export class RunDetailWidget extends ReactWidget {
  constructor(readonly options: IRunDetailOptions) {
    super();
    this.id = `jp-orch-run-${options.runId}`;
    this.title.label = `Run ${options.runId.slice(-8)}`;
    this.title.closable = true;
    this.addClass('jp-OrchRunDetail');
  }

  get runId(): string {
    return this.options.runId;
  }

  protected render(): JSX.Element {
    return <div>Run {this.options.runId}</div>;
  }
}
