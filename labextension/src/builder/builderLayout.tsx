/**
 * The pipeline builder's frame: its header (title, validity, Save, Edit as YAML), the problems
 * that name no field, and the live DAG preview.
 */
import * as React from 'react';

import type { Validity } from './builderHooks';
import { DagView } from '../dag/dagView';
import type { IDagNode } from '../dag/dag';
import type { IErrorDetail } from '../api/tokens';

const VALIDITY_TEXT: Record<Validity, string> = {
  unchecked: '',
  checking: 'Checking…',
  valid: 'Valid',
  invalid: 'Has problems',
  unknown: 'Not checked'
};

export interface IBuilderHeaderProps {
  title: string;
  dirty: boolean;
  validity: Validity;
  saving: boolean;
  /** Why "Edit as YAML" is disabled (no file yet), or null. */
  yamlDisabled: string | null;
  path: string;
  onSave: () => void;
  onEditYaml: () => void;
}

export function BuilderHeader(props: IBuilderHeaderProps): JSX.Element {
  return (
    <div className="jp-OrchBuilder-header">
      <h2 className="jp-OrchBuilder-title">
        {props.title}
        {props.dirty && (
          <span className="jp-OrchBuilder-dirty"> (unsaved)</span>
        )}
      </h2>
      <span
        className={`jp-OrchBuilder-validity jp-mod-${props.validity}`}
        aria-live="polite"
      >
        {VALIDITY_TEXT[props.validity]}
      </span>
      <button
        type="button"
        className="jp-mod-styled"
        disabled={props.yamlDisabled !== null}
        title={props.yamlDisabled ?? `Open ${props.path} as text`}
        onClick={props.onEditYaml}
      >
        Edit as YAML
      </button>
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept"
        disabled={props.saving}
        onClick={props.onSave}
      >
        {props.saving ? 'Saving…' : 'Save'}
      </button>
    </div>
  );
}

/** The save outcome and the problems that name no field of the form. */
export function ProblemList(props: {
  message: string | null;
  problems: IErrorDetail[];
}): JSX.Element | null {
  if (!props.message && !props.problems.length) {
    return null;
  }
  return (
    <div className="jp-OrchBuilder-problems" role="alert">
      {props.message && (
        <div className="jp-OrchField-error">{props.message}</div>
      )}
      {props.problems.length > 0 && (
        <ul>
          {props.problems.map((p, i) => (
            <li key={i} className="jp-OrchField-error">
              {p.field ? `${p.field}: ${p.message}` : p.message}
              {p.line ? ` (line ${p.line})` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The steps as a graph, redrawn as steps and needs change. */
export function Preview(props: {
  nodes: IDagNode[];
  needs: Record<string, string[]>;
  selected: string | null;
  onSelect: (name: string) => void;
}): JSX.Element {
  return (
    <aside className="jp-OrchBuilder-preview" aria-label="Preview">
      <h3 className="jp-OrchBuilder-heading">Preview</h3>
      {props.nodes.length ? (
        <div className="jp-OrchBuilder-dag">
          <DagView
            nodes={props.nodes}
            needs={props.needs}
            label="Steps and their needs"
            selected={props.selected}
            onSelect={props.onSelect}
          />
        </div>
      ) : (
        <div className="jp-OrchBuilder-hint">
          Add steps to see how they connect.
        </div>
      )}
    </aside>
  );
}
