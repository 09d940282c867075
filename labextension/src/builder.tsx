/**
 * The pipeline builder in the main area (a placeholder while the builder is written).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OrchClient } from './api';
import type { IPipeline } from './tokens';

export interface IBuilderOptions {
  client: OrchClient;
  /** Edit this registered pipeline; a new one when absent. */
  pipeline?: string;
  /** The folder a new pipeline's file goes in (the file browser's folder), relative to root. */
  cwd: string;
  /** Lets the user pick a notebook in a file dialog; its path relative to root, or null. */
  pickNotebook: () => Promise<string | null>;
  /** After Save registered the pipeline. */
  onSaved: (pipeline: IPipeline) => void;
  /** Opens a file (the YAML) in JupyterLab's editor. */
  openFile: (path: string) => void;
}

export class PipelineBuilderWidget extends ReactWidget {
  constructor(readonly options: IBuilderOptions) {
    super();
    this.id = `jp-orch-builder-${options.pipeline ?? 'new'}`;
    this.title.label = options.pipeline
      ? `Edit ${options.pipeline}`
      : 'New pipeline';
    this.title.closable = true;
    this.addClass('jp-OrchBuilder');
  }

  protected render(): JSX.Element {
    return <div>Builder</div>;
  }
}
