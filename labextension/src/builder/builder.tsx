/**
 * The pipeline builder in the main area: name, run parameters, schedule and steps in a form on
 * the left, a live DAG preview on the right. The server validates the YAML the form would save
 * as the user types; Save writes the file and registers it.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OrchClient } from '../api/api';
import { FieldProblems, ParamRows, TextField } from './builderFields';
import {
  savedForm,
  savePipeline,
  useChannels,
  useConnections,
  useLoadedForm,
  useServerValidation
} from './builderHooks';
import { KIND_OPTIONS } from './builderKindFields';
import { BuilderHeader, Preview, ProblemList } from './builderLayout';
import { NotifyFields } from './builderNotifyFields';
import {
  dagPreview,
  IBuilderForm,
  IStepForm,
  moveStep,
  newStep,
  notebookFromRoot,
  relativePath,
  dirname,
  removeStep,
  setName,
  setNotebook,
  setPath,
  setStepFields
} from './builderModel';
import {
  checkForm,
  FieldIds,
  IProblems,
  mergeProblems
} from './builderProblems';
import { StepCard } from './builderSteps';
import { formToYaml } from './builderYaml';
import { ScheduleEditor } from '../common/scheduleEditor';
import type { IPipeline, StepKind } from '../api/tokens';

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
  /** Reads a file's text (relative to root): an edit starts from the file as it is now. */
  readFile?: (path: string) => Promise<string>;
}

let instances = 0;

export class PipelineBuilderWidget extends ReactWidget {
  constructor(readonly options: IBuilderOptions) {
    super();
    instances += 1;
    this._idPrefix = `jp-orch-builder-${instances}`;
    // New builders are numbered: a saved one keeps its id while another one is opened
    this.id = options.pipeline
      ? `jp-orch-builder-${options.pipeline}`
      : `jp-orch-builder-new-${instances}`;
    this.title.label = options.pipeline
      ? `Edit ${options.pipeline}`
      : 'New pipeline';
    this.title.closable = true;
    this.addClass('jp-OrchBuilder');
  }

  protected render(): JSX.Element {
    return (
      <PipelineBuilder
        options={this.options}
        idPrefix={this._idPrefix}
        onSaved={pipeline => {
          this._saved = pipeline.name;
          this.title.label = `Edit ${pipeline.name}`;
          this.options.onSaved(pipeline);
        }}
      />
    );
  }

  /** The pipeline edited here: the one opened, or the one a new builder saved. */
  get pipelineName(): string | undefined {
    return this._saved ?? this.options.pipeline;
  }

  private readonly _idPrefix: string;
  private _saved: string | undefined;
}

interface IBuilderProps {
  options: IBuilderOptions;
  idPrefix: string;
  onSaved: (pipeline: IPipeline) => void;
}

function PipelineBuilder(props: IBuilderProps): JSX.Element {
  const { options, idPrefix } = props;
  const { client, cwd } = options;
  const { form, setForm, source, setSource, loadError } = useLoadedForm(
    client,
    options.pipeline,
    cwd,
    options.readFile
  );
  const [isNew, setIsNew] = React.useState(!options.pipeline);
  const [dirty, setDirty] = React.useState(false);
  const [submitted, setSubmitted] = React.useState(!!options.pipeline);
  const [touched, setTouched] = React.useState<ReadonlySet<string>>(new Set());
  const [saving, setSaving] = React.useState(false);
  const [saveMessage, setSaveMessage] = React.useState<string | null>(null);
  const [selected, setSelected] = React.useState<string | null>(null);
  const [newKind, setNewKind] = React.useState<StepKind>('notebook');
  const connections = useConnections(client);
  const channels = useChannels(client);
  const yaml = React.useMemo(
    () => (form ? formToYaml(form, source) : ''),
    [form, source]
  );
  const server = useServerValidation(client, form, yaml, !isNew || dirty);
  const own = React.useMemo(() => (form ? checkForm(form) : {}), [form]);
  const all: IProblems = React.useMemo(
    () => mergeProblems(own, server.problems),
    [own, server]
  );
  const preview = React.useMemo(
    () => (form ? dagPreview(form) : { nodes: [], needs: {} }),
    [form]
  );

  if (loadError) {
    return (
      <div className="jp-OrchBuilder-loadError jp-OrchField-error">
        {loadError}
      </div>
    );
  }
  if (!form) {
    return (
      <div className="jp-OrchBuilder-loading">Loading {options.pipeline}…</div>
    );
  }

  const shown = (id: string): boolean =>
    submitted || [...touched].some(t => id === t || id.startsWith(`${t}:`));
  const problems = (id: string): string[] =>
    shown(id) ? (all.fields[id] ?? []) : [];
  const edit = (
    change: (f: IBuilderForm) => IBuilderForm,
    ...ids: string[]
  ) => {
    setForm(f => (f ? change(f) : f));
    setDirty(true);
    setSaveMessage(null);
    if (ids.length) {
      setTouched(t => new Set([...t, ...ids]));
    }
  };
  const editStep = (key: string, change: Partial<IStepForm>) =>
    edit(
      f => ({ ...f, steps: setStepFields(f, key, change) }),
      FieldIds.step(key)
    );
  const addStep = (notebook?: string) => {
    const step = newStep(form, notebook, newKind);
    edit(
      f => ({ ...f, steps: [...f.steps, step] }),
      ...(notebook ? [FieldIds.step(step.key)] : [])
    );
  };
  const browse = async (key?: string) => {
    const picked = await options.pickNotebook();
    if (!picked) {
      return;
    }
    if (key === undefined) {
      addStep(picked);
    } else {
      const notebook = relativePath(dirname(form.path), picked);
      edit(
        f => ({ ...f, steps: setNotebook(f, key, notebook) }),
        FieldIds.step(key)
      );
    }
  };
  const save = async () => {
    setSubmitted(true);
    setSaving(true);
    const outcome = await savePipeline(client, form, source);
    setSaving(false);
    setSaveMessage(outcome.message);
    server.setProblems(outcome.problems);
    if (outcome.pipeline) {
      setSource(formToYaml(form, source));
      setForm(savedForm(form));
      setIsNew(false);
      setDirty(false);
      props.onSaved(outcome.pipeline);
    }
  };
  const id = (name: string) => `${idPrefix}-${name}`;

  return (
    <div className="jp-OrchBuilder-body">
      <BuilderHeader
        title={isNew ? 'New pipeline' : `Edit ${form.name}`}
        dirty={dirty}
        validity={server.validity}
        saving={saving}
        yamlDisabled={isNew ? 'Save first: the file does not exist yet' : null}
        path={form.path}
        onSave={() => void save()}
        onEditYaml={() => options.openFile(form.path.trim())}
      />
      <ProblemList
        message={saveMessage}
        problems={submitted || dirty ? all.general : []}
      />
      <div className="jp-OrchBuilder-columns">
        <div className="jp-OrchBuilder-form">
          <section className="jp-OrchBuilder-section" aria-label="Pipeline">
            <TextField
              id={id('name')}
              label="Name"
              value={form.name}
              readOnly={!isNew}
              hint={
                isNew
                  ? 'Lower-case letters, digits, - and _'
                  : 'Renaming makes another pipeline: copy the file to do that'
              }
              problems={problems(FieldIds.name)}
              onChange={name =>
                edit(f => setName(f, name, cwd), FieldIds.name, FieldIds.path)
              }
            />
            <TextField
              id={id('description')}
              label="Description"
              multiline
              value={form.description}
              problems={problems(FieldIds.description)}
              onChange={description =>
                edit(f => ({ ...f, description }), FieldIds.description)
              }
            />
            <TextField
              id={id('path')}
              label="File"
              value={form.path}
              readOnly={!isNew}
              hint="The pipeline's YAML file, relative to the root folder"
              problems={problems(FieldIds.path)}
              onChange={path => edit(f => setPath(f, path), FieldIds.path)}
            />
          </section>
          <section className="jp-OrchBuilder-section">
            <h3 className="jp-OrchBuilder-heading">Run parameters</h3>
            <div className="jp-OrchBuilder-hint">
              Values a run can override; steps read them as{' '}
              {'{{ params.<name> }}'} and notebooks declaring them in their
              parameters cell receive them.
            </div>
            <ParamRows
              idPrefix={id('param')}
              label="Run parameters"
              valueLabel="Default"
              rows={form.parameters}
              placeholder="default, e.g. 7, 0.5, true, text, [1, 2]"
              onChange={parameters =>
                edit(f => ({ ...f, parameters }), FieldIds.parameters, 'param')
              }
              problemsFor={row => problems(FieldIds.param(row.key))}
              problems={problems(FieldIds.parameters)}
            />
          </section>
          <section className="jp-OrchBuilder-section">
            <h3 className="jp-OrchBuilder-heading">Schedule</h3>
            <ScheduleEditor
              client={client}
              idPrefix={id('schedule')}
              allowNone
              value={form.schedule}
              error={problems(FieldIds.schedule).join('\n') || undefined}
              onChange={schedule =>
                edit(f => ({ ...f, schedule }), FieldIds.schedule)
              }
            />
          </section>
          <NotifyFields
            idPrefix={id('notify')}
            value={form.notify}
            choices={channels}
            problems={problems}
            onChange={notify => edit(f => ({ ...f, notify }), FieldIds.notify)}
          />
          <section className="jp-OrchBuilder-section">
            <h3 className="jp-OrchBuilder-heading">Steps</h3>
            <FieldProblems
              id={id('steps-problems')}
              messages={problems(FieldIds.steps)}
            />
            {form.steps.map((step, index) => (
              <StepCard
                key={step.key}
                client={client}
                idPrefix={id('step')}
                form={form}
                step={step}
                index={index}
                selected={selected === step.name}
                notebookFromRoot={notebookFromRoot(form, step)}
                connections={connections}
                problems={problems}
                onChange={change => editStep(step.key, change)}
                onBrowse={() => void browse(step.key)}
                onMove={delta =>
                  edit(f => ({
                    ...f,
                    steps: moveStep(f.steps, step.key, delta)
                  }))
                }
                onRemove={() =>
                  edit(f => ({ ...f, steps: removeStep(f.steps, step.key) }))
                }
              />
            ))}
            <div className="jp-OrchBuilder-addSteps">
              <select
                className="jp-mod-styled"
                aria-label="Kind of the new step"
                title="What the next step added runs"
                value={newKind}
                onChange={event => setNewKind(event.target.value as StepKind)}
              >
                {KIND_OPTIONS.map(option => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="jp-mod-styled"
                onClick={() => addStep()}
              >
                Add step
              </button>
              <button
                type="button"
                className="jp-mod-styled"
                title="Add a step that runs a notebook you choose"
                onClick={() => void browse()}
              >
                Add notebook…
              </button>
            </div>
          </section>
        </div>
        <Preview
          nodes={preview.nodes}
          needs={preview.needs}
          selected={selected}
          onSelect={name => {
            setSelected(name);
            const step = form.steps.find(s => s.name === name);
            if (step) {
              document
                .getElementById(`${id('step')}-${step.key}-name`)
                ?.focus();
            }
          }}
        />
      </div>
    </div>
  );
}
