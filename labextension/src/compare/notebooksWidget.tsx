/**
 * One step's output notebooks of two runs, cell by cell, in the main area: the server's nbdime
 * diff of run a's notebook to run b's, shown by the shared nbdime view (diff/nbdimeDiff). Heavy
 * (nbdime): the commands import this module when it is first needed.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import type * as nbformat from '@jupyterlab/nbformat';
import * as React from 'react';

import type { OrchClient } from '../api/api';
import { compareStepNotebooks } from '../api/compare';
import { Sentence } from '../common/components';
import { useServerValue } from '../common/hooks';
import { trans } from '../common/i18n';
import { NotebookDiff } from '../diff/nbdimeDiff';
import { comparedNotebookPath } from '../output/outputNotebook';
import { idPart } from './compareWidget';

export interface IStepNotebooksOptions {
  client: OrchClient;
  /** The older run (the diff's base). */
  a: string;
  b: string;
  step: string;
  /** Opens an output notebook read-only (relative to the root dir, or on the runs drive). */
  openNotebook?: (path: string) => void;
}

export class StepNotebooksWidget extends ReactWidget {
  constructor(readonly options: IStepNotebooksOptions) {
    super();
    const { a, b, step } = options;
    this.id = `jp-orch-compare-nb-${idPart(a)}-${idPart(b)}-${idPart(step)}`;
    this.title.label = trans.__('%1: notebooks compared', step);
    this.title.caption = trans.__(
      'The output notebooks of %1 in runs %2 and %3, cell by cell',
      step,
      a,
      b
    );
    this.title.closable = true;
    this.addClass('jp-OrchCompare');
    this.addClass('jp-OrchCompareNotebooks');
  }

  protected render(): JSX.Element {
    return <StepNotebooksBody options={this.options} />;
  }
}

/** The notebook of `run` the server names `shown` (its path under the root, or its name). */
function PathLink(props: {
  run: string;
  shown: string;
  open?: (path: string) => void;
}): JSX.Element {
  const { run, shown, open } = props;
  return open ? (
    <button
      type="button"
      className="jp-OrchCompare-link"
      title={trans.__('Open %1 read-only', shown)}
      onClick={() => open(comparedNotebookPath(run, shown))}
    >
      {shown}
    </button>
  ) : (
    <code>{shown}</code>
  );
}

function StepNotebooksBody(props: {
  options: IStepNotebooksOptions;
}): JSX.Element {
  const { client, a, b, step, openNotebook } = props.options;
  const { value, problem } = useServerValue(
    () => compareStepNotebooks(client, a, b, step),
    [a, b, step]
  );
  // Once per answer: a new base would mount the diff anew. The server sends the base as
  // nbformat reads it (multiline strings joined), which nbdime's diff indexes into
  const base = React.useMemo(
    () => (value ? (value.base as unknown as nbformat.INotebookContent) : null),
    [value]
  );
  if (problem) {
    return (
      <div className="jp-OrchCompare-message" role="alert">
        <h2>{trans.__('Could not compare the notebooks of %1', step)}</h2>
        <p className="jp-OrchField-error">{problem}</p>
      </div>
    );
  }
  if (!value || !base) {
    return (
      <div className="jp-OrchCompare-message" role="status" aria-busy="true">
        {trans.__('Comparing the notebooks of %1…', step)}
      </div>
    );
  }
  return (
    <div className="jp-OrchCompare-notebooks">
      <p className="jp-OrchCompare-summary">
        <Sentence
          text={trans.__('%1: from %2 to %3', '%1', '%2', '%3')}
          nodes={[
            <strong>{step}</strong>,
            <PathLink run={a} shown={value.a_path} open={openNotebook} />,
            <PathLink run={b} shown={value.b_path} open={openNotebook} />
          ]}
        />
      </p>
      <NotebookDiff base={base} diff={value.diff} />
    </div>
  );
}
