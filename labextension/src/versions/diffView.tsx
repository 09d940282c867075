/**
 * What changed between two versions of a pipeline, in the main area: the pipeline file as a
 * unified diff, then each changed file, a notebook cell by cell (nbdime's widgets) and SQL or
 * Python as a unified diff. Loaded when a diff is first opened (it brings nbdime).
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  IFileDiff,
  IVersionDiff,
  versionDiff,
  VersionsClient
} from '../api/versions';
import { trans } from '../common/i18n';
import { useServerValue } from '../common/hooks';
import { NotebookDiff } from '../diff/nbdimeDiff';
import { UnifiedDiff } from '../diff/unifiedDiff';

export interface IVersionDiffOptions {
  client: VersionsClient;
  pipeline: string;
  from: number;
  to: number;
  rendermime?: IRenderMimeRegistry;
}

export class VersionDiffWidget extends ReactWidget {
  constructor(readonly options: IVersionDiffOptions) {
    super();
    const { pipeline, from, to } = options;
    this.title.label = trans.__('%1 v%2 → v%3', pipeline, from, to);
    this.title.caption = trans.__(
      'What changed in %1 from version %2 to version %3',
      pipeline,
      from,
      to
    );
    this.addClass('jp-OrchRunDetail');
    this.addClass('jp-OrchVersionDiff');
  }

  protected render(): JSX.Element {
    return <DiffView options={this.options} />;
  }
}

function DiffView(props: { options: IVersionDiffOptions }): JSX.Element {
  const { client, pipeline, from, to, rendermime } = props.options;
  const { value, problem } = useServerValue(
    () => versionDiff(client, pipeline, from, to),
    [client, pipeline, from, to]
  );
  return (
    <div className="jp-OrchRunDetail-content">
      <header className="jp-OrchRunDetail-titleRow">
        <h2 className="jp-OrchRunDetail-title">
          {trans.__('%1: version %2 → version %3', pipeline, from, to)}
        </h2>
        {value && (
          <span className="jp-OrchRunDetail-muted">{changeCount(value)}</span>
        )}
      </header>
      {problem && (
        <p className="jp-OrchField-error" role="alert">
          {trans.__('Could not compare the versions: %1', problem)}
        </p>
      )}
      {!value && !problem && (
        <p className="jp-OrchRunDetail-message" role="status" aria-busy="true">
          {trans.__('Comparing…')}
        </p>
      )}
      {value && <DiffBody diff={value} rendermime={rendermime} />}
    </div>
  );
}

function changeCount(diff: IVersionDiff): string {
  const files = diff.files.length;
  return diff.yaml
    ? trans._n(
        'The pipeline file and %1 file changed',
        'The pipeline file and %1 files changed',
        files
      )
    : trans._n('%1 file changed', '%1 files changed', files);
}

function DiffBody(props: {
  diff: IVersionDiff;
  rendermime?: IRenderMimeRegistry;
}): JSX.Element {
  const { diff } = props;
  return (
    <>
      {diff.notes.length > 0 && (
        <ul className="jp-OrchVersionDiff-notes">
          {diff.notes.map(note => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      <section className="jp-OrchVersionDiff-file" data-kind="yaml">
        <h3 className="jp-OrchVersionDiff-fileHeader">
          {trans.__('Pipeline file')}
        </h3>
        {diff.yaml ? (
          <UnifiedDiff text={diff.yaml} label={trans.__('Pipeline file')} />
        ) : (
          <p className="jp-OrchRunDetail-muted">{trans.__('No change')}</p>
        )}
      </section>
      {diff.files.map(file => (
        <FileSection
          key={file.path}
          file={file}
          rendermime={props.rendermime}
        />
      ))}
    </>
  );
}

function statusWord(status: IFileDiff['status']): string {
  switch (status) {
    case 'added':
      return trans._p('file', 'added');
    case 'removed':
      return trans._p('file', 'removed');
    default:
      return trans._p('file', 'changed');
  }
}

const STATUS_KIND: Record<string, string> = {
  added: 'ok',
  removed: 'bad',
  changed: 'busy'
};

function FileSection(props: {
  file: IFileDiff;
  rendermime?: IRenderMimeRegistry;
}): JSX.Element {
  const { file } = props;
  return (
    <section
      className="jp-OrchVersionDiff-file"
      data-path={file.path}
      data-kind={file.kind}
    >
      <h3 className="jp-OrchVersionDiff-fileHeader">
        <code>{file.path}</code>
        <span
          className={`jp-OrchBadge jp-OrchBadge-${STATUS_KIND[file.status] ?? 'off'}`}
        >
          {statusWord(file.status)}
        </span>
      </h3>
      <FileDiff file={file} rendermime={props.rendermime} />
    </section>
  );
}

function FileDiff(props: {
  file: IFileDiff;
  rendermime?: IRenderMimeRegistry;
}): JSX.Element {
  const { file } = props;
  if (typeof file.diff === 'string') {
    return file.diff ? (
      <UnifiedDiff text={file.diff} label={file.path} />
    ) : (
      <p className="jp-OrchRunDetail-muted">{trans.__('No change')}</p>
    );
  }
  if (!file.base) {
    return (
      <p className="jp-OrchRunDetail-muted">
        {trans.__(
          'The server sent no old notebook to compare with: update jupyter-orch on the server.'
        )}
      </p>
    );
  }
  return (
    <NotebookDiff
      base={file.base}
      diff={file.diff}
      rendermime={props.rendermime}
    />
  );
}
