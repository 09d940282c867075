/**
 * The comparison of two runs in the main area: fetched once when it opens (two finished runs do
 * not change), shown by `ComparisonView`; its tab says which runs it compares.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { OrchClient } from '../api/api';
import { compareRuns, IRunComparison } from '../api/compare';
import { runLabel } from '../common/format';
import { useServerValue } from '../common/hooks';
import { trans } from '../common/i18n';
import { ComparisonView, ICompareActions } from './compareView';

export interface ICompareRunsOptions {
  client: OrchClient;
  /** The older run's id (the left column). */
  a: string;
  /** The newer run's id. */
  b: string;
  openRun?: (id: string) => void;
  /** Opens the diff of two versions of a pipeline; absent: no link. */
  compareVersions?: ICompareActions['compareVersions'];
  /** Opens `step`'s output notebooks of runs a and b, cell by cell. */
  compareNotebooks: (a: string, b: string, step: string) => void;
}

/** A DOM-safe id part (run ids and step names are plain, but be safe). */
export function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

export class CompareRunsWidget extends ReactWidget {
  constructor(readonly options: ICompareRunsOptions) {
    super();
    this.id = `jp-orch-compare-${idPart(options.a)}-${idPart(options.b)}`;
    this.title.label = trans.__('Compare runs');
    this.title.caption = trans.__(
      'Runs %1 and %2 side by side',
      options.a,
      options.b
    );
    this.title.closable = true;
    this.addClass('jp-OrchCompare');
  }

  get a(): string {
    return this.options.a;
  }

  get b(): string {
    return this.options.b;
  }

  protected render(): JSX.Element {
    return (
      <CompareRunsBody
        options={this.options}
        onLoaded={comparison => this._showTitle(comparison)}
      />
    );
  }

  private _showTitle(comparison: IRunComparison): void {
    const { a, b } = comparison;
    this.title.label = trans.__(
      '%1 %2 ↔ %3',
      a.pipeline,
      runLabel(a),
      runLabel(b)
    );
  }
}

/** The comparison, or why it cannot be shown with a way to ask again. */
function CompareRunsBody(props: {
  options: ICompareRunsOptions;
  onLoaded: (comparison: IRunComparison) => void;
}): JSX.Element {
  // A new key mounts a new loader: "Try again" asks afresh.
  const [attempt, setAttempt] = React.useState(0);
  return (
    <ComparisonLoader
      key={attempt}
      {...props}
      retry={() => setAttempt(attempt + 1)}
    />
  );
}

function ComparisonLoader(props: {
  options: ICompareRunsOptions;
  onLoaded: (comparison: IRunComparison) => void;
  retry: () => void;
}): JSX.Element {
  const { options } = props;
  const { client, a, b } = options;
  const { value, problem } = useServerValue(
    () => compareRuns(client, a, b),
    [a, b]
  );
  React.useEffect(() => {
    if (value) {
      props.onLoaded(value);
    }
  }, [value]);
  if (problem) {
    return (
      <div className="jp-OrchCompare-message" role="alert">
        <h2>{trans.__('Could not compare the runs')}</h2>
        <p className="jp-OrchField-error">{problem}</p>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          onClick={props.retry}
        >
          {trans.__('Try again')}
        </button>
      </div>
    );
  }
  if (!value) {
    return (
      <div className="jp-OrchCompare-message" role="status" aria-busy="true">
        {trans.__('Comparing the runs…')}
      </div>
    );
  }
  return (
    <ComparisonView
      comparison={value}
      actions={{
        openRun: options.openRun,
        compareVersions: options.compareVersions,
        compareNotebooks: step => options.compareNotebooks(a, b, step)
      }}
    />
  );
}
