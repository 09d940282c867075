/**
 * A pipeline's versions in the main area, newest first: each with its number, who recorded it,
 * when and what changed, "Compare with previous" and "Roll back to this version"; ticking two
 * versions compares them. The widget owns a `HistoryModel` and renders it.
 */
import {
  historyIcon,
  ReactWidget,
  refreshIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IPipelineVersion, VersionsClient } from '../api/versions';
import { relativeTime, zonedTime } from '../common/format';
import { trans } from '../common/i18n';
import { HistoryModel } from './historyModel';
import { actorLabel, previousVersion } from './versionsModel';

export interface IHistoryOptions {
  client: VersionsClient;
  pipeline: string;
  /** Opens the difference from version `from` to version `to`. */
  compare: (from: number, to: number) => void;
  /** Rolls back to `version` once the user agrees; true when it was done. */
  rollBack: (
    version: IPipelineVersion,
    latest: IPipelineVersion
  ) => Promise<boolean>;
  /** Opens the pipeline's activity log (the button shows only when given). */
  showActivity?: () => void;
}

export class VersionHistoryWidget extends ReactWidget {
  constructor(readonly options: IHistoryOptions) {
    super();
    const { pipeline } = options;
    this.title.label = trans.__('%1 versions', pipeline);
    this.title.caption = trans.__(
      'Versions of %1: who changed what, and when',
      pipeline
    );
    this.title.icon = historyIcon;
    // The run detail's page layout; what is the history's own is jp-OrchVersions-*
    this.addClass('jp-OrchRunDetail');
    this.addClass('jp-OrchVersions');
    this.model = new HistoryModel(options.client, pipeline);
    void this.model.refresh();
  }

  readonly model: HistoryModel;

  get pipeline(): string {
    return this.options.pipeline;
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <HistoryView model={this.model} options={this.options} />}
      </UseSignal>
    );
  }
}

function HistoryView(props: {
  model: HistoryModel;
  options: IHistoryOptions;
}): JSX.Element {
  const { model, options } = props;
  const versions = model.versions;
  const pair = model.pair;
  const rollBack = async (version: IPipelineVersion) => {
    const latest = model.latest;
    if (!latest || model.rollingBack !== null) {
      return;
    }
    model.rollingBack = version.version;
    try {
      if (await options.rollBack(version, latest)) {
        await model.refresh();
      }
    } finally {
      model.rollingBack = null;
    }
  };
  return (
    <div className="jp-OrchRunDetail-content">
      <header className="jp-OrchRunDetail-titleRow">
        <h2 className="jp-OrchRunDetail-title">
          {trans.__('Versions of %1', model.pipeline)}
        </h2>
        <button
          type="button"
          className="jp-OrchPanel-iconButton"
          aria-label={trans.__('Refresh')}
          title={trans.__('Read the versions again')}
          disabled={model.loading}
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" />
        </button>
        {model.latest?.path && (
          <code className="jp-OrchRunDetail-muted">{model.latest.path}</code>
        )}
        <div className="jp-OrchRunDetail-actions">
          {options.showActivity && (
            <button
              type="button"
              className="jp-mod-styled jp-OrchRunDetail-button jp-OrchVersions-activity"
              title={trans.__(
                'Who did what to %1, when and from where',
                model.pipeline
              )}
              onClick={options.showActivity}
            >
              {trans.__('Activity')}
            </button>
          )}
          <button
            type="button"
            className="jp-mod-styled jp-OrchRunDetail-button jp-OrchVersions-compareSelected"
            disabled={!pair}
            title={
              pair
                ? trans.__(
                    'Show what changed from version %1 to version %2',
                    pair[0],
                    pair[1]
                  )
                : trans.__('Tick two versions to compare them')
            }
            onClick={() => pair && options.compare(pair[0], pair[1])}
          >
            {pair
              ? trans.__('Compare v%1 and v%2', pair[0], pair[1])
              : trans.__('Compare selected')}
          </button>
        </div>
      </header>
      {model.error && (
        <p className="jp-OrchField-error" role="alert">
          {trans.__(
            'Could not read the versions of %1: %2',
            model.pipeline,
            model.error
          )}
        </p>
      )}
      {!versions ? (
        !model.error && (
          <p
            className="jp-OrchRunDetail-message"
            role="status"
            aria-busy="true"
          >
            {trans.__('Reading the versions…')}
          </p>
        )
      ) : versions.length === 0 ? (
        <p className="jp-OrchRunDetail-message">
          {trans.__('%1 has no versions yet.', model.pipeline)}
        </p>
      ) : (
        <ol className="jp-OrchVersions-list">
          {versions.map(v => (
            <VersionRow
              key={v.version}
              version={v}
              latest={v.version === model.latest?.version}
              previous={previousVersion(versions, v.version)}
              selected={model.selected.includes(v.version)}
              busy={model.rollingBack !== null}
              rollingBack={model.rollingBack === v.version}
              onToggle={() => model.toggle(v.version)}
              onCompare={from => options.compare(from, v.version)}
              onRollBack={() => void rollBack(v)}
            />
          ))}
        </ol>
      )}
    </div>
  );
}

function VersionRow(props: {
  version: IPipelineVersion;
  latest: boolean;
  previous: number | null;
  selected: boolean;
  busy: boolean;
  rollingBack: boolean;
  onToggle: () => void;
  onCompare: (from: number) => void;
  onRollBack: () => void;
}): JSX.Element {
  const { version: v, previous } = props;
  const files = v.files ?? [];
  return (
    <li
      className={`jp-OrchVersions-row${props.selected ? ' jp-mod-selected' : ''}`}
      data-version={v.version}
    >
      <label className="jp-OrchVersions-pick">
        <input
          type="checkbox"
          checked={props.selected}
          aria-label={trans.__('Select version %1 to compare', v.version)}
          onChange={props.onToggle}
        />
        <span className="jp-OrchVersions-number">
          {trans.__('v%1', v.version)}
        </span>
      </label>
      <div className="jp-OrchVersions-body">
        <div className="jp-OrchVersions-meta">
          {props.latest && (
            <span className="jp-OrchBadge jp-OrchBadge-ok">
              {trans.__('latest')}
            </span>
          )}
          <span className="jp-OrchVersions-who">
            {actorLabel(v.created_by)}
          </span>
          <span
            className="jp-OrchRunDetail-muted"
            title={zonedTime(v.created_at)}
          >
            {relativeTime(v.created_at)}
          </span>
          {files.length > 0 && (
            <span
              className="jp-OrchRunDetail-muted"
              title={files.map(f => f.path).join('\n')}
            >
              {trans._n('%1 file', '%1 files', files.length)}
            </span>
          )}
        </div>
        <div className="jp-OrchVersions-summary">
          {v.summary ??
            (previous === null
              ? trans.__('First version')
              : trans.__('No summary'))}
        </div>
      </div>
      <div className="jp-OrchVersions-actions">
        <button
          type="button"
          className="jp-mod-styled jp-OrchRunDetail-button jp-OrchVersions-comparePrevious"
          disabled={previous === null}
          title={
            previous === null
              ? trans.__('The first version: nothing before it')
              : trans.__('Show what changed from version %1', previous)
          }
          onClick={() => previous !== null && props.onCompare(previous)}
        >
          {trans.__('Compare with previous')}
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-OrchRunDetail-button jp-OrchVersions-rollback"
          disabled={props.latest || props.busy}
          aria-busy={props.rollingBack}
          title={
            props.latest
              ? trans.__('The files on disk are this version')
              : trans.__(
                  'Write version %1’s files back to disk, as a new version',
                  v.version
                )
          }
          onClick={props.onRollBack}
        >
          {trans.__('Roll back to this version')}
        </button>
      </div>
    </li>
  );
}
