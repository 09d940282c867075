/**
 * A step's artifacts in the run detail: images inline (thumbnails of bounded size), CSV and
 * Parquet files as a table of their first rows (fetched when opened), every file a link that
 * opens it in JupyterLab. The state is `ArtifactPreviews`'.
 */
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes } from '../common/format';
import { trans } from '../common/i18n';
import type { IArtifact, ITablePreview } from '../api/artifacts';
import {
  ArtifactPreviews,
  artifactKey,
  artifactsOf,
  concurrentNote,
  Loadable,
  rowsCaption,
  sortArtifacts,
  thumbnails
} from './artifactsModel';

/** What the run detail gives a step's artifacts. */
export interface IArtifactViews {
  previews: ArtifactPreviews;
  /** Opens a file (relative to the root dir) in JupyterLab; absent: files are names only. */
  openFile?: (path: string) => void;
}

/** The "Artifacts" list under a step; nothing when it wrote no file. */
export function StepArtifacts(
  props: IArtifactViews & { step: { name: string; artifacts?: IArtifact[] } }
): JSX.Element | null {
  const files = sortArtifacts(artifactsOf(props.step));
  if (files.length === 0) {
    return null;
  }
  const inline = thumbnails(files);
  return (
    <div className="jp-OrchArtifacts" data-step={props.step.name}>
      <h4 className="jp-OrchArtifacts-title">
        {trans.__('Artifacts')}{' '}
        <span className="jp-OrchRunDetail-muted">({files.length})</span>
      </h4>
      <UseSignal signal={props.previews.changed}>
        {() => (
          <ul
            className="jp-OrchArtifacts-list"
            aria-label={trans.__('Artifacts of %1', props.step.name)}
          >
            {files.map(artifact => (
              <ArtifactItem
                key={artifact.name}
                artifact={artifact}
                inline={inline.has(artifact.name)}
                previews={props.previews}
                openFile={props.openFile}
              />
            ))}
          </ul>
        )}
      </UseSignal>
    </div>
  );
}

interface IItemProps extends IArtifactViews {
  artifact: IArtifact;
}

function ArtifactItem(props: IItemProps & { inline: boolean }): JSX.Element {
  const { artifact } = props;
  const note = concurrentNote(artifact);
  return (
    <li
      className="jp-OrchArtifacts-item"
      data-artifact={artifact.name}
      data-type={artifact.type}
    >
      <div className="jp-OrchArtifacts-header">
        <FileLink {...props} />
        <span className="jp-OrchRunDetail-muted">
          {formatBytes(artifact.size)}
        </span>
        {artifact.attempt > 1 && (
          <span className="jp-OrchRunDetail-muted">
            {trans.__('attempt %1', artifact.attempt)}
          </span>
        )}
        {note && <span className="jp-OrchArtifacts-note">{note}</span>}
      </div>
      {props.inline && <Thumbnail {...props} />}
      {artifact.type === 'table' && artifact.path !== null && (
        <TablePreview {...props} />
      )}
    </li>
  );
}

/** The file's name: a link that opens it in JupyterLab (when it is under the root). */
function FileLink(props: IItemProps): JSX.Element {
  const { artifact, openFile } = props;
  const path = artifact.path;
  if (path === null || !openFile) {
    return (
      <code
        className="jp-OrchArtifacts-name"
        title={path ?? trans.__('Outside the server’s root folder')}
      >
        {artifact.name}
      </code>
    );
  }
  return (
    <OpenButton
      path={path}
      openFile={openFile}
      className="jp-OrchRunDetail-link jp-OrchArtifacts-name"
    >
      {artifact.name}
    </OpenButton>
  );
}

/** A button around `children` that opens `path` in JupyterLab. */
function OpenButton(props: {
  path: string;
  openFile: (path: string) => void;
  className: string;
  children: React.ReactNode;
}): JSX.Element {
  const { path, openFile } = props;
  return (
    <button
      type="button"
      className={props.className}
      title={trans.__('Open %1 in JupyterLab', path)}
      onClick={event => {
        event.stopPropagation();
        openFile(path);
      }}
    >
      {props.children}
    </button>
  );
}

function Thumbnail(props: IItemProps): JSX.Element {
  const { artifact, previews, openFile } = props;
  const key = artifactKey(artifact);
  React.useEffect(() => previews.loadImage(artifact), [key]);
  const image = previews.image(artifact);
  if (image?.status === 'error') {
    return <p className="jp-OrchArtifacts-error">{image.message}</p>;
  }
  if (image?.status !== 'ready') {
    return (
      <div className="jp-OrchArtifacts-loading" aria-busy="true">
        {trans.__('Loading %1…', artifact.name)}
      </div>
    );
  }
  const path = artifact.path;
  const img = (
    <img
      className="jp-OrchArtifacts-thumbnail"
      src={image.value}
      alt={artifact.name}
    />
  );
  if (!openFile || path === null) {
    return img;
  }
  return (
    <OpenButton
      path={path}
      openFile={openFile}
      className="jp-OrchArtifacts-imageButton"
    >
      {img}
    </OpenButton>
  );
}

/** "First rows", closed until opened: the rows are fetched then. */
function TablePreview(props: IItemProps): JSX.Element {
  const { artifact, previews } = props;
  const preview = previews.table(artifact);
  return (
    <details
      className="jp-OrchArtifacts-preview"
      onToggle={event => {
        if (event.currentTarget.open) {
          previews.loadTable(artifact);
        }
      }}
    >
      <summary>{trans.__('First rows')}</summary>
      {preview && <PreviewBody preview={preview} />}
    </details>
  );
}

/** An empty cell as the data writes it, the same in every language. */
const NULL_CELL = 'null';

function PreviewBody(props: { preview: Loadable<ITablePreview> }): JSX.Element {
  const { preview } = props;
  if (preview.status === 'loading') {
    return (
      <p className="jp-OrchArtifacts-loading" aria-busy="true">
        {trans.__('Reading the first rows…')}
      </p>
    );
  }
  if (preview.status === 'error') {
    return (
      <p className="jp-OrchArtifacts-error" role="alert">
        {preview.message}
      </p>
    );
  }
  const table = preview.value;
  if (table.columns.length === 0) {
    return (
      <p className="jp-OrchRunDetail-note">{trans.__('The file is empty.')}</p>
    );
  }
  return (
    <div className="jp-OrchArtifacts-tableBox">
      <table className="jp-OrchArtifacts-table">
        <caption>{rowsCaption(table)}</caption>
        <thead>
          <tr>
            {table.columns.map((column, index) => (
              <th key={index} scope="col">
                {column}
                {table.types && (
                  <span className="jp-OrchArtifacts-type">
                    {table.types[index]}
                  </span>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <td key={c} className={cell === null ? 'jp-mod-null' : ''}>
                  {cell ?? NULL_CELL}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
