/**
 * The pipeline builder's frame: its header (title, validity, Edit as YAML, Save, Save and run),
 * the problems that name no field, and the buttons under the steps that add one.
 */
import * as React from 'react';

import { trans } from '../common/i18n';
import type { Validity } from './builderHooks';
import { kindOptions } from './builderKindFields';
import type { IErrorDetail, StepKind } from '../api/tokens';

/** What the header says of the server's check of the form. */
function validityText(validity: Validity): string {
  switch (validity) {
    case 'unchecked':
      return '';
    case 'checking':
      return trans.__('Checking…');
    case 'valid':
      return trans.__('Valid');
    case 'invalid':
      return trans.__('Has problems');
    case 'unknown':
      return trans.__('Not checked');
  }
}

export interface IBuilderHeaderProps {
  title: string;
  dirty: boolean;
  validity: Validity;
  saving: boolean;
  /** Why "Edit as YAML" is disabled (no file yet), or null. */
  yamlDisabled: string | null;
  path: string;
  onSave: () => void;
  /** Saves, then starts a run and shows it (absent: no such button). */
  onSaveAndRun?: () => void;
  onEditYaml: () => void;
}

export function BuilderHeader(props: IBuilderHeaderProps): JSX.Element {
  return (
    <div className="jp-OrchBuilder-header">
      <h2 className="jp-OrchBuilder-title">
        {props.title}
        {props.dirty && (
          <span className="jp-OrchBuilder-dirty"> {trans.__('(unsaved)')}</span>
        )}
      </h2>
      <span
        className={`jp-OrchBuilder-validity jp-mod-${props.validity}`}
        aria-live="polite"
      >
        {validityText(props.validity)}
      </span>
      <button
        type="button"
        className="jp-mod-styled"
        disabled={props.yamlDisabled !== null}
        title={props.yamlDisabled ?? trans.__('Open %1 as text', props.path)}
        onClick={props.onEditYaml}
      >
        {trans.__('Edit as YAML')}
      </button>
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept"
        disabled={props.saving}
        onClick={props.onSave}
      >
        {props.saving ? trans.__('Saving…') : trans.__('Save')}
      </button>
      {props.onSaveAndRun && (
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          disabled={props.saving}
          title={trans.__(
            'Save the pipeline, then run it with its default parameters'
          )}
          onClick={props.onSaveAndRun}
        >
          {trans.__('Save and run')}
        </button>
      )}
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
              {problemText(p)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** "steps[1].notebook: not found (line 7)": a problem of the server's, where it is. */
function problemText(problem: IErrorDetail): string {
  const text = problem.field
    ? `${problem.field}: ${problem.message}`
    : problem.message;
  return problem.line ? trans.__('%1 (line %2)', text, problem.line) : text;
}

/** Under the steps: a kind and "Add step", or "Add notebook…" (the file dialog). */
export function AddStepBar(props: {
  onAdd: (kind: StepKind) => void;
  onBrowse: () => void;
}): JSX.Element {
  const [kind, setKind] = React.useState<StepKind>('notebook');
  return (
    <div className="jp-OrchBuilder-addSteps">
      <select
        className="jp-mod-styled"
        aria-label={trans.__('Kind of the new step')}
        title={trans.__('What the next step added runs')}
        value={kind}
        onChange={event => setKind(event.target.value as StepKind)}
      >
        {kindOptions().map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="jp-mod-styled"
        title={trans.__(
          'Add a step of this kind after the selected step, else after the last'
        )}
        onClick={() => props.onAdd(kind)}
      >
        {trans.__('Add step')}
      </button>
      <button
        type="button"
        className="jp-mod-styled"
        title={trans.__(
          'Add a step per notebook you choose (several with Shift or Ctrl), in order'
        )}
        onClick={props.onBrowse}
      >
        {trans.__('Add notebook…')}
      </button>
    </div>
  );
}
