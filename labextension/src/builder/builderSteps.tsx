/**
 * One step of the pipeline builder: its name, its kind and what it runs (builderKindFields),
 * needs, condition, retries, timeout and parameters, with a notebook's own declared parameters
 * offered as suggestions.
 */
import * as React from 'react';

import { OrchClient, OrchError } from '../api/api';
import type { IConnectionChoices } from './builderConnection';
import { FieldProblems, ParamRows, TextField } from './builderFields';
import { KindFields, KindSelect } from './builderKindFields';
import {
  IBuilderForm,
  IStepForm,
  dependents,
  newParamRow,
  valueText
} from './builderModel';
import { FieldIds, StepPart } from './builderProblems';
import { useDebouncedRequest } from '../common/hooks';
import { trans } from '../common/i18n';
import { errorMessage } from '../common/notify';
import type { INotebookParameters } from '../api/tokens';

/** The notebook's parameters cell, fetched a moment after its path stops changing. */
export function useNotebookParameters(
  client: OrchClient,
  path: string | null
): { declared: INotebookParameters | null; problem: string | null } {
  const [declared, setDeclared] = React.useState<INotebookParameters | null>(
    null
  );
  const [problem, setProblem] = React.useState<string | null>(null);
  useDebouncedRequest(
    () => {
      setDeclared(null);
      setProblem(null);
      if (!path || !path.toLowerCase().endsWith('.ipynb')) {
        return null;
      }
      return {
        request: () => client.notebookParameters(path),
        onResult: setDeclared,
        onError: error => {
          // A missing notebook is already reported on its field by the server's validation.
          if (!(error instanceof OrchError && error.status === 404)) {
            setProblem(errorMessage(error));
          }
        }
      };
    },
    [client, path],
    500
  );
  return { declared, problem };
}

export interface IStepCardProps {
  client: OrchClient;
  idPrefix: string;
  form: IBuilderForm;
  step: IStepForm;
  index: number;
  /** The step's notebook relative to the root, for its parameters (null: not a notebook). */
  notebookFromRoot: string | null;
  connections: IConnectionChoices;
  problems: (id: string) => string[];
  onChange: (change: Partial<IStepForm>) => void;
  onBrowse: () => void;
  onMove: (delta: number) => void;
  onRemove: () => void;
  selected: boolean;
}

function Suggestions(props: {
  client: OrchClient;
  path: string | null;
  step: IStepForm;
  onAdd: (name: string, text: string) => void;
}): JSX.Element | null {
  const { declared, problem } = useNotebookParameters(props.client, props.path);
  if (problem) {
    return (
      <div className="jp-OrchBuilder-hint">
        {trans.__('Notebook parameters: %1', problem)}
      </div>
    );
  }
  if (!declared) {
    return null;
  }
  if (!declared.has_parameters_cell) {
    return (
      <div className="jp-OrchBuilder-hint">
        {declared.problem ??
          trans.__(
            'This notebook has no cell tagged "parameters"; values are injected at its top.'
          )}
      </div>
    );
  }
  const used = new Set(props.step.parameters.map(r => r.name.trim()));
  const offered = declared.parameters.filter(p => !used.has(p.name));
  if (!offered.length) {
    return null;
  }
  return (
    <div className="jp-OrchBuilder-suggestions">
      <span className="jp-OrchBuilder-hint">
        {trans.__('From the notebook:')}
      </span>
      {offered.map(p => (
        <button
          key={p.name}
          type="button"
          className="jp-mod-styled jp-OrchBuilder-chip"
          aria-label={trans.__('Use notebook parameter %1', p.name)}
          title={`${p.name} = ${p.default_source}${p.help ? ` (${p.help})` : ''}`}
          onClick={() => props.onAdd(p.name, valueText(p.default))}
        >
          + {p.name}
        </button>
      ))}
    </div>
  );
}

function Needs(props: {
  id: string;
  form: IBuilderForm;
  step: IStepForm;
  problems: string[];
  onChange: (change: Partial<IStepForm>) => void;
}): JSX.Element {
  const { form, step, id } = props;
  const others = form.steps.filter(s => s.key !== step.key);
  const cyclic = dependents(form.steps, step.key);
  const toggle = (key: string, on: boolean) =>
    props.onChange({
      needs: on ? [...step.needs, key] : step.needs.filter(n => n !== key)
    });
  return (
    <fieldset className="jp-OrchBuilder-needs" aria-label={trans.__('Needs')}>
      <legend>{trans.__('Needs')}</legend>
      {!others.length && !step.unknownNeeds.length && (
        <span className="jp-OrchBuilder-hint">
          {trans.__('No other steps yet: runs first.')}
        </span>
      )}
      {others.map(other => {
        const checked = step.needs.includes(other.key);
        const disabled = !checked && cyclic.has(other.key);
        const label =
          other.name ||
          trans.__('(unnamed step %1)', form.steps.indexOf(other) + 1);
        return (
          <span key={other.key} className="jp-OrchBuilder-need">
            <input
              type="checkbox"
              id={`${id}-${other.key}`}
              checked={checked}
              disabled={disabled}
              onChange={event => toggle(other.key, event.target.checked)}
            />
            <label
              htmlFor={`${id}-${other.key}`}
              title={
                disabled
                  ? trans.__('%1 needs this step: that would be a cycle', label)
                  : undefined
              }
            >
              {label}
            </label>
          </span>
        );
      })}
      {step.unknownNeeds.map(name => (
        <span key={`unknown-${name}`} className="jp-OrchBuilder-need">
          <input
            type="checkbox"
            id={`${id}-unknown-${name}`}
            checked
            onChange={() =>
              props.onChange({
                unknownNeeds: step.unknownNeeds.filter(n => n !== name)
              })
            }
          />
          <label htmlFor={`${id}-unknown-${name}`}>
            {trans.__('%1 (not a step)', name)}
          </label>
        </span>
      ))}
      <FieldProblems id={`${id}-problems`} messages={props.problems} />
    </fieldset>
  );
}

export function StepCard(props: IStepCardProps): JSX.Element {
  const { step, index, form, onChange, problems } = props;
  const n = index + 1;
  const id = `${props.idPrefix}-${step.key}`;
  const part = (p: StepPart) => problems(FieldIds.step(step.key, p));
  const inheritedRetries = form.inherited.retries;
  const inheritedTimeout = form.inherited.timeout;
  return (
    <section
      role="group"
      aria-label={trans.__('Step %1', n)}
      className={`jp-OrchBuilder-step ${props.selected ? 'jp-mod-selected' : ''}`}
      data-step={step.name}
    >
      <div className="jp-OrchBuilder-stepHead">
        <span className="jp-OrchBuilder-stepNumber">{n}</span>
        <span className="jp-OrchBuilder-stepTitle" title={step.name}>
          {step.name || trans.__('Unnamed step')}
        </span>
        <button
          type="button"
          className="jp-mod-styled jp-OrchBuilder-iconButton"
          aria-label={trans.__('Move up')}
          title={trans.__('Move this step up')}
          disabled={index === 0}
          onClick={() => props.onMove(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-OrchBuilder-iconButton"
          aria-label={trans.__('Move down')}
          title={trans.__('Move this step down')}
          disabled={index === form.steps.length - 1}
          onClick={() => props.onMove(1)}
        >
          ↓
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-OrchBuilder-iconButton"
          aria-label={trans.__('Remove step')}
          title={trans.__('Remove this step')}
          onClick={props.onRemove}
        >
          ✕
        </button>
      </div>
      <FieldProblems
        id={`${id}-problems`}
        messages={problems(FieldIds.step(step.key))}
      />
      <div className="jp-OrchBuilder-pair">
        <TextField
          id={`${id}-name`}
          label={trans.__('Step name')}
          value={step.name}
          problems={part('name')}
          onChange={name => onChange({ name, nameEdited: true })}
        />
        <KindSelect
          id={`${id}-kind`}
          label={trans.__('Kind')}
          value={step.kind}
          onChange={kind => onChange({ kind })}
        />
      </div>
      <KindFields
        id={id}
        step={step}
        connections={props.connections}
        problems={part}
        onChange={onChange}
        onBrowse={props.onBrowse}
      />
      <Needs
        id={`${id}-needs`}
        form={form}
        step={step}
        problems={part('needs')}
        onChange={onChange}
      />
      <TextField
        id={`${id}-if`}
        label={trans.__('Condition (if)')}
        value={step.condition}
        placeholder={trans.__(
          'optional, e.g. %1',
          'steps.load.outputs.rows > 0'
        )}
        problems={part('if')}
        onChange={condition => onChange({ condition })}
      />
      <div className="jp-OrchBuilder-pair">
        <TextField
          id={`${id}-retries`}
          label={trans.__('Retries')}
          type="number"
          value={step.retries}
          placeholder={
            inheritedRetries ? trans.__('%1 (defaults)', inheritedRetries) : '0'
          }
          problems={part('retries')}
          onChange={retries => onChange({ retries })}
        />
        <TextField
          id={`${id}-timeout`}
          label={trans.__('Timeout')}
          value={step.timeout}
          placeholder={
            inheritedTimeout
              ? trans.__('%1 (defaults)', inheritedTimeout)
              : trans.__('none, e.g. %1', '5m')
          }
          problems={part('timeout')}
          onChange={timeout => onChange({ timeout })}
        />
      </div>
      <div className="jp-OrchBuilder-subheading">{trans.__('Parameters')}</div>
      <ParamRows
        idPrefix={`${id}-param`}
        label={trans.__('Parameters')}
        values="value"
        rows={step.parameters}
        placeholder={trans.__('value, e.g. %1', '{{ run.dir }}')}
        onChange={parameters => onChange({ parameters })}
        problemsFor={row => problems(FieldIds.stepParam(step.key, row.key))}
        problems={part('parameters')}
      />
      <Suggestions
        client={props.client}
        path={props.notebookFromRoot}
        step={step}
        onAdd={(name, text) =>
          onChange({
            parameters: [...step.parameters, newParamRow(name, text)]
          })
        }
      />
    </section>
  );
}
